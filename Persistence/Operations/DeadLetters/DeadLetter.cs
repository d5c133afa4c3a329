namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// A dead letter as lists show it: the message, MassTransit's fault (exception type, reason, when), and what the
/// database says of its delivery (status, attempts) and integration (name), when it has them.
/// </summary>
public sealed record DeadLetter(
    string? MessageId, Guid? DeliveryId, Guid? IntegrationId, string? IntegrationName, string ExceptionType, string Reason,
    DateTimeOffset? FailedAt, int? Attempts, int? RetryCount, string? DeliveryStatus)
{
    public static DeadLetter From(ErrorQueueMessage message, DeliveryFacts? facts) => new(
        message.MessageId, message.DeliveryId, message.IntegrationId ?? facts?.IntegrationId, facts?.IntegrationName,
        message.ExceptionType, message.FaultMessage, message.FailedAt,
        facts?.Attempts ?? (message.RetryCount is { } retries ? retries + 1 : null), message.RetryCount, facts?.Status);
}
