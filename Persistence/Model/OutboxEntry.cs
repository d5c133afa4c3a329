namespace Webhooks.Persistence.Model;

/// <summary>
/// A delivery waiting to be sent to the bus: the <c>outbox</c> table holds exactly the deliveries that are
/// <c>accepted</c> and unpublished. Triggers on <c>deliveries</c> keep it (an insert or a put-back adds the row), the
/// outbox relay deletes it when it marks the delivery published. Kept apart from the wide <c>deliveries</c> row so that
/// neither the relay's mark nor the worker's outcome changes an indexed column there: both are HOT updates on the row's
/// own page instead of new entries in every index of a table that grows by the thousands a second.
/// </summary>
public sealed class OutboxEntry
{
    public DateTimeOffset ReceivedAt { get; set; }
    public Guid DeliveryId { get; set; }
}
