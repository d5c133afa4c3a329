using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence;

/// <summary>
/// <c>queued</c> is not written to a delivery: it is what a stored <c>accepted</c> delivery is once no outbox row names it,
/// because the relay deletes a delivery from its outbox row in the transaction that follows the broker's confirm (a
/// delivery handed back or replayed is named by a new row, in the transaction that puts it back). Marking every sent
/// delivery cost a row version each, the largest part of PostgreSQL's work per accepted webhook while no worker takes
/// them (measured: 15 µs and 760 B of WAL per delivery). Rows written as <c>queued</c> by an earlier version read as
/// <c>queued</c>. Every reader of a delivery's status goes through here, so the API, the console, the replay progress
/// and the command line agree.
/// </summary>
public static class ShownDeliveryStatus
{
    /// <summary>What a delivery stored with <paramref name="stored"/> shows, given whether an outbox row names it.</summary>
    public static DeliveryStatus Of(DeliveryStatus stored, bool inOutbox) =>
        stored == DeliveryStatus.Accepted && !inOutbox ? DeliveryStatus.Queued : stored;

    /// <summary>
    /// Which of <paramref name="deliveries"/> (id and stored status) an outbox row still names, for <see cref="Of"/>: one
    /// read of the outbox for a whole page, and none when no delivery there is stored <c>accepted</c> (the outbox is small
    /// while the relay keeps up; a broker outage grows it, and this stays one scan).
    /// </summary>
    public static async Task<IReadOnlySet<Guid>> InOutboxAsync(
        WebhooksDbContext db, IEnumerable<(Guid Id, DeliveryStatus Stored)> deliveries, CancellationToken cancellationToken)
    {
        var accepted = deliveries.Where(d => d.Stored == DeliveryStatus.Accepted).Select(d => d.Id).ToArray();
        if (accepted.Length == 0)
        {
            return new HashSet<Guid>();
        }
        return (await db.Outbox.SelectMany(o => o.DeliveryIds).Where(id => accepted.Contains(id)).ToListAsync(cancellationToken)).ToHashSet();
    }

    /// <summary>What one delivery shows (<see cref="Of"/>); reads the outbox only when it is stored <c>accepted</c>.</summary>
    public static async Task<DeliveryStatus> OfAsync(WebhooksDbContext db, Guid id, DeliveryStatus stored, CancellationToken cancellationToken) =>
        Of(stored, (await InOutboxAsync(db, [(id, stored)], cancellationToken)).Contains(id));

    /// <summary>
    /// Counts by shown status, from counts by stored status and how many of the stored <c>accepted</c> an outbox row
    /// still names (<see cref="WhereShown"/> with <c>accepted</c>); statuses with none are left out.
    /// </summary>
    public static Dictionary<DeliveryStatus, int> Counts(IReadOnlyDictionary<DeliveryStatus, int> stored, int acceptedInOutbox)
    {
        var shown = stored.ToDictionary(c => c.Key, c => c.Value);
        if (shown.Remove(DeliveryStatus.Accepted, out var accepted))
        {
            shown[DeliveryStatus.Queued] = shown.GetValueOrDefault(DeliveryStatus.Queued) + accepted - acceptedInOutbox;
            shown[DeliveryStatus.Accepted] = acceptedInOutbox;
        }
        return shown.Where(c => c.Value > 0).ToDictionary(c => c.Key, c => c.Value);
    }

    /// <summary>
    /// The deliveries that show one of <paramref name="statuses"/>. <c>accepted</c> and <c>queued</c> split the stored
    /// <c>accepted</c> by whether an outbox row names the delivery: an uncorrelated <c>IN</c>, which PostgreSQL reads
    /// once and hashes, not a scan of the outbox per delivery.
    /// </summary>
    public static IQueryable<Delivery> WhereShown(this IQueryable<Delivery> query, WebhooksDbContext db, IReadOnlyCollection<DeliveryStatus> statuses)
    {
        var stored = statuses.Where(s => s is not (DeliveryStatus.Accepted or DeliveryStatus.Queued)).ToArray();
        var outboxed = db.Outbox.SelectMany(o => o.DeliveryIds);
        return (statuses.Contains(DeliveryStatus.Accepted), statuses.Contains(DeliveryStatus.Queued)) switch
        {
            (true, true) => query.Where(d => stored.Contains(d.Status) || d.Status == DeliveryStatus.Accepted || d.Status == DeliveryStatus.Queued),
            (true, false) => query.Where(d => stored.Contains(d.Status) || (d.Status == DeliveryStatus.Accepted && outboxed.Contains(d.Id))),
            (false, true) => query.Where(d => stored.Contains(d.Status) || d.Status == DeliveryStatus.Queued
                || (d.Status == DeliveryStatus.Accepted && !outboxed.Contains(d.Id))),
            _ => query.Where(d => stored.Contains(d.Status)),
        };
    }
}
