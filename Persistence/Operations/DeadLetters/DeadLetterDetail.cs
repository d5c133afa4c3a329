namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// Everything known about one dead letter: the message (null when it is in no error queue any more) with every header
/// decoded to text, and its delivery and integration (null when the database does not have them).
/// </summary>
public sealed record DeadLetterDetail(
    DeadLetter? Message, string? Queue, string? ContentType, IReadOnlyDictionary<string, string>? Headers, DeliveryFacts? Delivery);
