namespace Webhooks.Persistence.Model;

/// <summary>
/// A delivery waiting to be sent to the bus. Triggers on <c>deliveries</c> add the row whenever a delivery is stored
/// <c>accepted</c> or put back (a replay, a hand-back); the outbox relay deletes the rows it claimed once it sent them.
/// Kept apart from the wide <c>deliveries</c> row so that neither the relay's mark nor the worker's outcome changes an
/// indexed column there: both are HOT updates on the row's own page instead of new entries in every index of a table
/// that grows by the thousands a second.
/// </summary>
public sealed class OutboxEntry
{
    /// <summary>Insertion order: the relay sends oldest first. A delivery put back while a row of it still waits gets a
    /// second row, so a put-back racing the relay's delete of the first is never lost.</summary>
    public long Id { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}
