namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>A matching dead letter a replay left in its queue, and why.</summary>
public sealed record SkippedDeadLetter(string? MessageId, Guid? DeliveryId, string Reason);
