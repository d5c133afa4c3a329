using Microsoft.Extensions.Logging;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Deliveries;

/// <summary>Delivery processing logs. Ids and outcomes only: never bodies, tokens or secrets.</summary>
internal static partial class Log
{
    private static readonly Func<ILogger, Guid, Guid, string, IDisposable?> DeliveryScope =
        LoggerMessage.DefineScope<Guid, Guid, string>("Delivery {DeliveryId} of integration {IntegrationId} ({Provider})");

    /// <summary>Every log line written while a delivery is processed carries its ids.</summary>
    public static IDisposable? BeginDeliveryScope(ILogger logger, Guid deliveryId, Guid integrationId, string provider) =>
        DeliveryScope(logger, deliveryId, integrationId, provider);

    // Debug: at thousands of deliveries a second a line each is most of the log; the delivery row and the
    // webhooks.worker.deliveries counter keep every outcome. Outcomes that applied nothing stay at Warning.
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Delivery {DeliveryId} {Status}: applied {Applied}, duplicates {Duplicates}, no target {NoTarget}")]
    public static partial void Processed(ILogger logger, Guid deliveryId, DeliveryStatus status, int applied, int duplicates, int noTarget);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} {Status}: {Reason}")]
    public static partial void NotApplied(ILogger logger, Guid deliveryId, DeliveryStatus status, string? reason);

    /// <summary>The outcome line of one delivery: Debug when it applied (or found only duplicates), Warning otherwise.</summary>
    public static void Outcome(ILogger logger, Guid deliveryId, DeliveryOutcome outcome)
    {
        if (outcome.Status is DeliveryStatus.Processed or DeliveryStatus.Duplicate && outcome.Reason is null)
        {
            Processed(logger, deliveryId, outcome.Status, outcome.Applied, outcome.Duplicates, outcome.NoTarget);
        }
        else
        {
            NotApplied(logger, deliveryId, outcome.Status, outcome.Reason);
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Delivery {DeliveryId} changes taken: applied {Applied}, duplicates {Duplicates}, no target {NoTarget}")]
    public static partial void Applied(ILogger logger, Guid deliveryId, int applied, int duplicates, int noTarget);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "A batch of {Count} deliveries failed ({Error}); processing them one at a time")]
    public static partial void BatchFailed(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Delivery {DeliveryId}: its fetch failed and the attempt could not be counted ({Error})")]
    public static partial void AttemptNotCounted(ILogger logger, Guid deliveryId, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Delivery {DeliveryId} dead-lettered after its retries: {Reason}")]
    public static partial void DeadLettered(ILogger logger, Guid deliveryId, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} failed in a batch message ({ExceptionType}: {Reason}); it goes back to the outbox to be sent alone, with its own retries")]
    public static partial void FailedInBatch(ILogger logger, Guid deliveryId, string exceptionType, string reason);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "A batch message named delivery {DeliveryId} ({Provider}), which is not stored (deleted by hand?); skipped, nothing to do")]
    public static partial void DeliveryMissing(ILogger logger, Guid deliveryId, string provider);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "{Count} failed deliveries of a batch message could not be handed back to the outbox ({ExceptionType}: {Reason}); trying them again in {Backoff}, the message stays unacked meanwhile (is PostgreSQL reachable?)")]
    public static partial void HandBackFailed(ILogger logger, int count, string exceptionType, string reason, TimeSpan backoff);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Delivery {DeliveryId}: PostgreSQL refused its data, and recording it failed did not work either ({ExceptionType}); it is retried")]
    public static partial void RefusalNotRecorded(ILogger logger, Guid deliveryId, string exceptionType);
}
