using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Operations.Replay;

/// <summary>
/// The one way a delivery is processed again: it is put back in the outbox (status <c>accepted</c>, unpublished, the
/// last error cleared, tagged with the replay's id) and <see cref="OutboxChannel"/> is notified in the same statement,
/// so a running ingress's outbox relay sends it within milliseconds of the commit (its sweep otherwise). Nothing here
/// talks to the broker. Used by the admin API, <c>deliveries replay</c> and <c>dead-letters replay</c> alike; the
/// workers' applied-change ledger makes processing a delivery again harmless.
/// </summary>
public sealed class StoredDeliveryReplay(WebhooksDbContext db)
{
    /// <summary>Deliveries put back per statement (and per progress report).</summary>
    public const int BatchSize = 500;

    /// <summary>What a filter takes, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<List<ReplayCandidate>> SelectAsync(StoredDeliveryFilter filter, int max, CancellationToken cancellationToken)
    {
        var rows = await filter.Apply(db.Deliveries.AsNoTracking(), db)
            .OrderBy(d => d.ReceivedAt).ThenBy(d => d.Id)
            .Take(max)
            .Select(d => new { d.Id, d.IntegrationId, d.Provider, d.Status, d.ReceivedAt })
            .ToListAsync(cancellationToken);
        var inOutbox = await ShownDeliveryStatus.InOutboxAsync(db, rows.Select(d => (d.Id, d.Status)), cancellationToken);
        return rows.Select(d => new ReplayCandidate(d.Id, d.IntegrationId, d.Provider, ShownDeliveryStatus.Of(d.Status, inOutbox.Contains(d.Id)), d.ReceivedAt))
            .ToList();
    }

    /// <summary>How many deliveries a replay with this filter and <paramref name="max"/> would take (a dry run).</summary>
    public async Task<int> CountAsync(StoredDeliveryFilter filter, int max, CancellationToken cancellationToken) =>
        await filter.Apply(db.Deliveries.AsNoTracking(), db).Take(max).CountAsync(cancellationToken);

    /// <summary>
    /// Puts what the filter takes back in the outbox under a new replay id, oldest first, in batches of
    /// <see cref="BatchSize"/>; <paramref name="progress"/> hears (done, selected) after each batch.
    /// </summary>
    public async Task<StoredReplayResult> ReplayAsync(StoredDeliveryFilter filter, int max, Func<int, int, Task>? progress, CancellationToken cancellationToken)
    {
        var ids = await filter.Apply(db.Deliveries.AsNoTracking(), db)
            .OrderBy(d => d.ReceivedAt).ThenBy(d => d.Id)
            .Take(max)
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        var replayId = Guid.CreateVersion7();
        var replayed = 0;
        foreach (var batch in ids.Chunk(BatchSize))
        {
            replayed += (await PutBackAsync(batch, replayId, cancellationToken)).Count;
            if (progress is not null)
            {
                await progress(replayed, ids.Count);
            }
        }
        return new StoredReplayResult(replayId, ids.Count, replayed);
    }

    /// <summary>
    /// Puts the given deliveries back in the outbox under <paramref name="replayId"/> and wakes every relay, in one
    /// statement (so a relay woken by the notification finds them committed). Returns the ids put back: those stored,
    /// and neither a handshake nor rejected.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> PutBackAsync(IReadOnlyCollection<Guid> deliveryIds, Guid replayId, CancellationToken cancellationToken)
    {
        if (deliveryIds.Count == 0)
        {
            return new HashSet<Guid>();
        }
        var ids = deliveryIds.Distinct().ToArray();
        // pg_notify is evaluated once with the rows; PostgreSQL delivers the notification when the statement commits.
        var putBack = await db.Database.SqlQuery<Guid>($"""
            WITH replayed AS (
                UPDATE deliveries SET status = 'accepted', published_at = NULL, last_error = NULL, replay_id = {replayId}
                WHERE id = ANY({ids}) AND status NOT IN ('handshake', 'rejected')
                RETURNING id)
            SELECT replayed.id AS "Value" FROM replayed, pg_notify({OutboxChannel.Name}, '')
            """).ToListAsync(cancellationToken);
        return putBack.ToHashSet();
    }

    /// <summary>Where the deliveries of a replay are now; null when none carries its id (unknown, or all replayed again since).</summary>
    public async Task<ReplayProgress?> ProgressAsync(Guid replayId, CancellationToken cancellationToken)
    {
        var replayed = db.Deliveries.AsNoTracking().Where(d => d.ReplayId == replayId);
        var stored = await replayed
            .GroupBy(d => d.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToDictionaryAsync(c => c.Status, c => c.Count, cancellationToken);
        if (stored.Count == 0)
        {
            return null;
        }
        var acceptedInOutbox = stored.ContainsKey(DeliveryStatus.Accepted)
            ? await replayed.WhereShown(db, [DeliveryStatus.Accepted]).CountAsync(cancellationToken)
            : 0;
        var counts = ShownDeliveryStatus.Counts(stored, acceptedInOutbox);
        var accepted = counts.GetValueOrDefault(DeliveryStatus.Accepted);
        var queued = counts.GetValueOrDefault(DeliveryStatus.Queued);
        var total = counts.Values.Sum();
        return new ReplayProgress(replayId, total, accepted, queued, total - accepted - queued,
            counts.OrderBy(c => c.Key).ToDictionary(c => SnakeCaseEnumConverter<DeliveryStatus>.ToName(c.Key), c => c.Value));
    }
}
