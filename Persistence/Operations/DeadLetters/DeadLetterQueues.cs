using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Operations.Replay;

namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// What can be done with a provider's error queue (<c>webhooks-&lt;provider&gt;_error</c>): count, list, show, replay
/// and purge. The worker's <c>dead-letters</c> verbs and the ingress's admin API both call these, so both do the same
/// thing to the same messages. A replay never publishes: the delivery a message names goes back through the outbox
/// (<see cref="StoredDeliveryReplay"/>), and only once that is committed is the message removed.
/// </summary>
public sealed class DeadLetterQueues(ErrorQueueBroker broker, WebhooksDbContext db)
{
    /// <summary>The most messages a list reads from one queue (they stay unacked meanwhile).</summary>
    public const int MaxScanned = 10_000;

    /// <summary>How many more than a queue held when it began a replay or purge reads (what arrives meanwhile).</summary>
    public const int MaxArrivals = 10_000;

    /// <summary>Messages whose deliveries are put back in the outbox by one statement.</summary>
    public const int ReplayBatchSize = 100;

    /// <summary>Called after a batch's deliveries were committed back to the outbox and before their messages are acked: tests simulate a crash there.</summary>
    internal Func<ErrorQueueSession, Task>? AfterOutboxCommit { get; set; }

    /// <summary>A provider's error queue and how many messages wait in it (null: the queue does not exist, nothing ever failed there).</summary>
    public async Task<DeadLetterQueue> CountAsync(Provider provider, CancellationToken cancellationToken)
    {
        var queue = QueueNames.ErrorQueueFor(provider);
        return new DeadLetterQueue(provider.ToWireName(), queue, await broker.CountAsync(queue, cancellationToken));
    }

    /// <summary>
    /// The matching messages of a provider's error queue, newest failure first, <paramref name="limit"/> from
    /// <paramref name="offset"/>. RabbitMQ has no browse: every message (up to <see cref="MaxScanned"/>) is taken and put
    /// back at the end of the pass, which moves it to the end of the queue. Harmless: order is not meaningful there.
    /// </summary>
    public async Task<DeadLetterPage> ListAsync(Provider provider, DeadLetterFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var matching = new List<ErrorQueueMessage>();
        var scanned = 0;
        uint? count;
        await using (var pass = await broker.OpenPassAsync(provider, MaxScanned, cancellationToken))
        {
            count = pass?.Count;
            while (pass is not null && scanned < MaxScanned && await pass.NextAsync(cancellationToken) is { } message)
            {
                scanned++;
                pass.Hold(message);
                if (filter.Matches(message))
                {
                    matching.Add(message);
                }
            }
        }
        var page = matching
            .OrderByDescending(m => m.FailedAt ?? DateTimeOffset.MinValue).ThenBy(m => m.MessageId, StringComparer.Ordinal)
            .Skip(offset).Take(limit)
            .ToList();
        var facts = await DeliveryFacts.FindAsync(db, page.Select(m => m.DeliveryId).OfType<Guid>().Distinct().ToList(), cancellationToken);
        return new DeadLetterPage(provider.ToWireName(), QueueNames.ErrorQueueFor(provider), count, scanned, matching.Count, offset, limit,
            page.Select(m => DeadLetter.From(m, m.DeliveryId is { } id ? facts.GetValueOrDefault(id) : null)).ToList());
    }

    /// <summary>
    /// One dead letter by message id or delivery id, looked for in each of <paramref name="providers"/>' error queues,
    /// with its delivery and integration; null when neither the queues nor the database know the id.
    /// </summary>
    public async Task<DeadLetterDetail?> FindAsync(string id, IReadOnlyList<Provider> providers, CancellationToken cancellationToken)
    {
        ErrorQueueMessage? found = null;
        foreach (var provider in providers)
        {
            await using var pass = await broker.OpenPassAsync(provider, MaxScanned, cancellationToken);
            while (pass is not null && await pass.NextAsync(cancellationToken) is { } message)
            {
                pass.Hold(message);
                if (IsNamed(message, id))
                {
                    found = message;
                    break;
                }
            }
            if (found is not null)
            {
                break;
            }
        }
        var deliveryId = found?.DeliveryId ?? (Guid.TryParse(id, out var parsed) ? parsed : null);
        var facts = deliveryId is { } known ? (await DeliveryFacts.FindAsync(db, [known], cancellationToken)).GetValueOrDefault(known) : null;
        if (found is null && facts is null)
        {
            return null;
        }
        return new DeadLetterDetail(
            found is null ? null : DeadLetter.From(found, facts),
            found is null ? null : QueueNames.ErrorQueueFor(found.Provider),
            found?.Properties.ContentType,
            found?.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).ToDictionary(h => h.Key, h => h.Value),
            facts);
    }

    /// <summary>
    /// Replays the matching messages of a provider's error queue (at most <paramref name="max"/>): in batches, the
    /// deliveries they name are put back in the outbox under one replay id, committed, and only then are those messages
    /// acked. A crash in between leaves the message in the error queue with its delivery already replayed; replaying it
    /// again processes the delivery once more, which the ledger makes harmless. A message whose delivery is not stored
    /// (or is a handshake or rejected) stays in the queue and is reported as skipped. With <paramref name="dryRun"/>
    /// nothing changes and <see cref="DeadLetterReplay.Messages"/> lists what would be replayed. <paramref name="replayId"/>
    /// lets several queues' replays share one id (a new one by default).
    /// </summary>
    public async Task<DeadLetterReplay> ReplayAsync(Provider provider, DeadLetterFilter filter, bool dryRun, int max, Guid? replayId, CancellationToken cancellationToken)
    {
        var replay = new StoredDeliveryReplay(db);
        var id = replayId ?? Guid.CreateVersion7();
        var selected = new List<ErrorQueueMessage>();
        var skipped = new List<SkippedDeadLetter>();
        var left = 0;
        var deliveries = new HashSet<Guid>();
        await using (var pass = await broker.OpenPassAsync(provider, MaxArrivals, cancellationToken))
        {
            var pending = new List<ErrorQueueMessage>();
            while (pass is not null && selected.Count + pending.Count < max && await pass.NextAsync(cancellationToken) is { } message)
            {
                if (!filter.Matches(message))
                {
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (message.DeliveryId is null)
                {
                    pass.Hold(message);
                    skipped.Add(new SkippedDeadLetter(message.MessageId, null, "The message names no delivery."));
                    continue;
                }
                if (deliveries.Contains(message.DeliveryId.Value))
                {
                    // Its delivery was replayed earlier in this pass: this copy failed again since (or is an older copy). It stays.
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (dryRun)
                {
                    pass.Hold(message);
                    selected.Add(message);
                    continue;
                }
                pending.Add(message);
                if (pending.Count == ReplayBatchSize)
                {
                    await ReplayBatchAsync(pass, pending);
                }
            }
            if (pass is not null && pending.Count > 0)
            {
                await ReplayBatchAsync(pass, pending);
            }
        }

        var facts = await DeliveryFacts.FindAsync(db, selected.Select(m => m.DeliveryId!.Value).Distinct().ToList(), cancellationToken);
        if (dryRun)
        {
            // What the replay would skip for want of a stored delivery, the dry run skips too.
            foreach (var message in selected.Where(m => !IsReplayable(facts.GetValueOrDefault(m.DeliveryId!.Value))).ToList())
            {
                selected.Remove(message);
                skipped.Add(new SkippedDeadLetter(message.MessageId, message.DeliveryId, NotStored));
            }
            deliveries.UnionWith(selected.Select(m => m.DeliveryId!.Value));
        }
        return new DeadLetterReplay(provider.ToWireName(), QueueNames.ErrorQueueFor(provider), dryRun,
            dryRun || selected.Count == 0 ? null : id, selected.Count, deliveries.Count, left, skipped,
            selected.Select(m => DeadLetter.From(m, facts.GetValueOrDefault(m.DeliveryId!.Value))).ToList());

        async Task ReplayBatchAsync(ErrorQueueSession pass, List<ErrorQueueMessage> batch)
        {
            var putBack = await replay.PutBackAsync(batch.Select(m => m.DeliveryId!.Value).ToList(), id, cancellationToken);
            if (AfterOutboxCommit is { } hook)
            {
                await hook(pass);
            }
            foreach (var message in batch)
            {
                var deliveryId = message.DeliveryId!.Value;
                if (putBack.Contains(deliveryId))
                {
                    await pass.RemoveAsync(message, cancellationToken);
                    selected.Add(message);
                    deliveries.Add(deliveryId);
                }
                else
                {
                    pass.Hold(message);
                    skipped.Add(new SkippedDeadLetter(message.MessageId, deliveryId, NotStored));
                }
            }
            batch.Clear();
        }
    }

    /// <summary>
    /// Removes the matching messages of a provider's error queue for good. <paramref name="archive"/>, when given, hears
    /// each message before it is removed (the command line writes it to a file first, so a purge can be undone).
    /// </summary>
    public async Task<DeadLetterPurge> PurgeAsync(Provider provider, DeadLetterFilter filter, Func<ErrorQueueMessage, Task>? archive, CancellationToken cancellationToken)
    {
        var removed = 0;
        var left = 0;
        await using (var pass = await broker.OpenPassAsync(provider, MaxArrivals, cancellationToken))
        {
            while (pass is not null && await pass.NextAsync(cancellationToken) is { } message)
            {
                if (!filter.Matches(message))
                {
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (archive is not null)
                {
                    await archive(message);
                }
                await pass.RemoveAsync(message, cancellationToken);
                removed++;
            }
        }
        return new DeadLetterPurge(provider.ToWireName(), QueueNames.ErrorQueueFor(provider), removed, left);
    }

    private const string NotStored = "Its delivery is not stored (or is a handshake or rejected): there is nothing to process again; purge it.";

    private static bool IsReplayable(DeliveryFacts? facts) =>
        facts is not null && SnakeCaseEnumConverter<DeliveryStatus>.TryParse(facts.Status, out var status) && StoredDeliveryFilter.IsReplayable(status);

    private static bool IsNamed(ErrorQueueMessage message, string id) =>
        string.Equals(message.MessageId, id, StringComparison.OrdinalIgnoreCase)
        || (Guid.TryParse(id, out var deliveryId) && message.DeliveryId == deliveryId);
}
