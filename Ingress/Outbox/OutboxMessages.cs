using Webhooks.Contracts;

namespace Webhooks.Ingress.Outbox;

/// <summary>An unpublished delivery the relay claimed (by its outbox row): what its claim check names.</summary>
public sealed record ClaimedDelivery(long OutboxId, Guid DeliveryId, Guid IntegrationId, Provider Provider, DateTimeOffset ReceivedAt, string? TraceParent, int Attempts);

/// <summary>One message the relay sends: a <see cref="ProcessDelivery"/> (<see cref="Single"/>) or a <see cref="ProcessDeliveryBatch"/>.</summary>
public sealed record OutboxMessage(Provider Provider, IReadOnlyList<ClaimedDelivery> Deliveries, ProcessDelivery? Single, ProcessDeliveryBatch? Batch);

/// <summary>How one relay pass turns its claimed deliveries into messages.</summary>
public static class OutboxMessages
{
    /// <summary>
    /// Per provider, in claim order: deliveries never attempted go together, at most <paramref name="deliveriesPerMessage"/>
    /// per <see cref="ProcessDeliveryBatch"/>; a group of one, and every delivery attempted before (a replay, or one a
    /// worker handed back after it failed in a batch), go alone as a <see cref="ProcessDelivery"/>, whose retries and
    /// dead letter are its own.
    /// </summary>
    public static List<OutboxMessage> From(IReadOnlyList<ClaimedDelivery> claimed, int deliveriesPerMessage)
    {
        var messages = new List<OutboxMessage>();
        foreach (var provider in claimed.GroupBy(d => d.Provider))
        {
            var fresh = new List<ClaimedDelivery>();
            foreach (var delivery in provider)
            {
                if (delivery.Attempts > 0 || deliveriesPerMessage == 1)
                {
                    messages.Add(Alone(delivery));
                }
                else
                {
                    fresh.Add(delivery);
                }
            }
            foreach (var chunk in fresh.Chunk(deliveriesPerMessage))
            {
                messages.Add(chunk.Length == 1
                    ? Alone(chunk[0])
                    : new OutboxMessage(provider.Key, chunk, null, new ProcessDeliveryBatch(provider.Key,
                        [.. chunk.Select(d => new BatchedDelivery(d.DeliveryId, d.IntegrationId, d.ReceivedAt, d.TraceParent))])));
            }
        }
        return messages;
    }

    private static OutboxMessage Alone(ClaimedDelivery delivery) =>
        new(delivery.Provider, [delivery], new ProcessDelivery(delivery.DeliveryId, delivery.IntegrationId, delivery.Provider, delivery.ReceivedAt), null);
}
