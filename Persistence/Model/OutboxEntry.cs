namespace Webhooks.Persistence.Model;

/// <summary>
/// Deliveries waiting to be sent to the bus: one row per statement that stored them (a COPY of the ingress's group
/// commit names every delivery it stored) and one per delivery put back (a replay, a hand-back). Triggers on
/// <c>deliveries</c> add the rows; the outbox relay deletes the rows it claimed once it sent their deliveries. Kept apart
/// from the wide <c>deliveries</c> row so that the worker's attempt and outcome change no indexed column there (HOT
/// updates on the row's own page), and one row per commit rather than per delivery so that the
/// relay's claim, lock and delete cost the same for a commit of one delivery as for one of hundreds.
/// </summary>
public sealed class OutboxEntry
{
    /// <summary>Insertion order: the relay sends oldest first. A delivery put back while a row naming it still waits gets
    /// a row of its own, so a put-back racing the relay's delete of the first is never lost.</summary>
    public long Id { get; set; }
    public Guid[] DeliveryIds { get; set; } = [];

    /// <summary>The earliest <c>received_at</c> of the row's deliveries: how long the oldest has waited.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    // The claim check of each delivery in DeliveryIds, in the same order, copied by the trigger that adds the row: what the
    // relay's message names, so its claim reads the outbox row alone instead of looking each delivery up. Null in a row
    // written before these columns existed, and in a row the relay shrank after a failed send: the relay then reads them
    // from deliveries.
    public Guid[]? IntegrationIds { get; set; }
    public string[]? Providers { get; set; }
    public DateTimeOffset[]? ReceivedAts { get; set; }
    public string?[]? TraceParents { get; set; }
    public int[]? Attempts { get; set; }
}
