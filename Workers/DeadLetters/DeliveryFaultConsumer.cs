using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// Marks a delivery <c>dead_lettered</c> when its message faulted past the retry limit (the message itself is in
/// <c>webhooks-&lt;provider&gt;_error</c>). It listens on its own quorum queue, <c>webhooks-faults</c>, so when the database
/// was the problem the fault waits there and is recorded once the database is back.
/// Only deliveries still in flight change: an outcome already recorded is never overwritten.
/// </summary>
public sealed class DeliveryFaultConsumer(WebhooksDbContext db, WorkerTelemetry telemetry, ILogger<DeliveryFaultConsumer> logger) : IConsumer<Fault<ProcessDelivery>>
{
    public const string QueueName = QueueNames.Faults;

    public async Task Consume(ConsumeContext<Fault<ProcessDelivery>> context)
    {
        var fault = context.Message;
        var exception = fault.Exceptions.FirstOrDefault();
        var reason = $"Dead-lettered after retries: {exception?.ExceptionType ?? "unknown"}: {exception?.Message ?? "no message"}";
        // Wrappers such as EF Core's "likely due to a transient failure" say nothing an operator can act on: name the root cause.
        var cause = exception?.InnerException;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }
        if (cause is not null)
        {
            reason += $" (caused by {cause.ExceptionType}: {cause.Message})";
        }
        if (reason.Length > 2000)
        {
            reason = reason[..2000];
        }

        await db.Deliveries
            .Where(d => d.Id == fault.Message.DeliveryId && (d.Status == DeliveryStatus.Accepted || d.Status == DeliveryStatus.Queued))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.DeadLettered).SetProperty(d => d.LastError, reason), context.CancellationToken);
        telemetry.DeadLettered(fault.Message.Provider);
        Deliveries.Log.DeadLettered(logger, fault.Message.DeliveryId, reason);
    }
}
