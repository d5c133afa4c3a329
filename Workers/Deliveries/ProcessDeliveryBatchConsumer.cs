using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// A claim check for several deliveries: each joins the next batch (<see cref="DeliveryGroupCommit"/>) and gets its own
/// outcome. One that fails even alone is handed back to the outbox (<see cref="DeliveryHandBack"/>) to be sent alone as a
/// <see cref="ProcessDelivery"/>, so its retries and its dead letter are its own, and the message is acked only once
/// every delivery has an outcome or is back in the outbox. While that cannot be written (the database is down), the
/// deliveries still without one are tried again, with backoff, holding the message: a batch message never reaches an
/// error queue, which hold single deliveries only. A stopping worker leaves it unacked and the broker hands it out again;
/// a redelivered batch changes nothing that already has an outcome. <see cref="BatchMessageBudget"/> bounds how many
/// deliveries of batch messages are in flight.
/// </summary>
public sealed class ProcessDeliveryBatchConsumer(
    DeliveryGroupCommit batches,
    DeliveryHandBack handBack,
    BatchMessageBudget budget,
    WorkerTelemetry telemetry,
    IOptions<WorkerOptions> options,
    ILogger<ProcessDeliveryBatchConsumer> logger) : IConsumer<ProcessDeliveryBatch>
{
    public async Task Consume(ConsumeContext<ProcessDeliveryBatch> context)
    {
        var message = context.Message;
        var cancellationToken = context.CancellationToken;
        var sentAt = SentTime.Of(context);
        var pending = message.Deliveries.DistinctBy(d => d.DeliveryId).ToList();
        using var lease = await budget.TakeAsync(pending.Count, cancellationToken);
        var backoff = options.Value.RetryMinInterval;
        while (true)
        {
            List<Task<DeliveryOutcome>> attempts;
            using (batches.Gather())
            {
                attempts = [.. pending.Select(d => ProcessOneAsync(message.Provider, d, sentAt, cancellationToken))];
            }
            await Task.WhenAll(attempts.Cast<Task>()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            var failed = new List<BatchedDelivery>();
            for (var i = 0; i < pending.Count; i++)
            {
                switch (attempts[i].Exception?.GetBaseException())
                {
                    case null:
                        break;
                    case PermanentDeliveryException:
                        // Only a message naming a delivery that was never stored: nothing to process or hand back.
                        Log.DeliveryMissing(logger, pending[i].DeliveryId, message.Provider.ToWireName());
                        break;
                    case var failure:
                        Log.FailedInBatch(logger, pending[i].DeliveryId, failure.GetType().Name, failure.Message);
                        failed.Add(pending[i]);
                        break;
                }
            }
            if (failed.Count == 0)
            {
                return;
            }
            try
            {
                await handBack.SendAloneAsync([.. failed.Select(d => d.DeliveryId)], cancellationToken);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Log.HandBackFailed(logger, failed.Count, e.GetType().Name, e.Message, backoff);
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.RetryMaxInterval.Ticks));
                pending = failed;
            }
        }
    }

    private async Task<DeliveryOutcome> ProcessOneAsync(Provider provider, BatchedDelivery delivery, DateTimeOffset? sentAt, CancellationToken cancellationToken)
    {
        var outcome = await telemetry.ApplyAsync(provider, delivery, () => batches.ProcessAsync(delivery.DeliveryId, provider, sentAt, cancellationToken));
        Log.Outcome(logger, delivery.DeliveryId, outcome);
        return outcome;
    }
}
