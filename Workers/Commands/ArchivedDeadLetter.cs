namespace Webhooks.Workers.Commands;

/// <summary>One line of a <c>dead-letters purge --archive</c> file: enough to publish the message again by hand.</summary>
public sealed record ArchivedDeadLetter(
    string Queue, DateTimeOffset PurgedAt, string? MessageId, string? CorrelationId, string? ContentType, bool Persistent,
    Dictionary<string, string> Headers, string BodyBase64);
