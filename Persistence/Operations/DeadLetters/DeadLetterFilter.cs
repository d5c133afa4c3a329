namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// Which messages of an error queue an operation acts on. Empty criteria match everything; several criteria must all
/// match. <see cref="Ids"/> matches the AMQP MessageId or the delivery id.
/// </summary>
public sealed record DeadLetterFilter
{
    public IReadOnlySet<string> Ids { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    /// <summary>Exception type, short (<c>PostgresException</c>) or full name, compared without case.</summary>
    public string? ExceptionType { get; init; }
    /// <summary>Failed at or after (<c>MT-Fault-Timestamp</c>).</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Failed before.</summary>
    public DateTimeOffset? Until { get; init; }

    public bool SelectsSomething => Ids.Count > 0 || ExceptionType is not null || Since is not null || Until is not null;

    public bool Matches(ErrorQueueMessage message)
    {
        if (Ids.Count > 0 && !(message.MessageId is { } messageId && Ids.Contains(messageId))
            && !(message.DeliveryId is { } deliveryId && Ids.Contains(deliveryId.ToString())))
        {
            return false;
        }
        if (ExceptionType is { } wanted && !SameType(message.ExceptionType, wanted))
        {
            return false;
        }
        if (Since is { } since && !(message.FailedAt >= since))
        {
            return false;
        }
        return Until is not { } until || message.FailedAt < until;
    }

    private static bool SameType(string actual, string wanted) =>
        actual.Equals(wanted, StringComparison.OrdinalIgnoreCase)
        || actual.EndsWith("." + wanted, StringComparison.OrdinalIgnoreCase)
        || wanted.EndsWith("." + actual, StringComparison.OrdinalIgnoreCase);
}
