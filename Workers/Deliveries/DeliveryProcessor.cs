using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Applying;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// Processes stored deliveries, one batch per transaction: re-check each integration and account, parse, resolve
/// targets, apply, record each outcome. The batch is set-based (one query per step for all its deliveries) because
/// round trips, not work, are what a delivery costs. Expected problems (inactive, unknown event, malformed payload,
/// mapping errors) are recorded outcomes, never exceptions; anything thrown fails the whole batch, which
/// <see cref="DeliveryGroupCommit"/> then retries one delivery at a time to pin the failure on its message. Thrown is
/// transient, except what PostgreSQL refuses as data (<see cref="RefusedAsData"/>): that delivery alone is recorded failed.
/// Callable without a bus.
/// </summary>
public sealed class DeliveryProcessor(
    WebhooksDbContext db,
    PayloadParsers parsers,
    TargetResolver targets,
    TemplateSettingsResolver templates,
    ItemFetching fetching,
    ChangeApplier applier,
    TimeProvider clock,
    ILogger<DeliveryProcessor> logger)
{
    /// <summary>
    /// Statuses a delivery waits in. Once it has an outcome, only the transport brings it again (a lost ack, a second
    /// publish by the outbox): that copy leaves the outcome alone. A deliberate replay first sets it back to accepted.
    /// </summary>
    internal static readonly DeliveryStatus[] Waiting = [DeliveryStatus.Accepted, DeliveryStatus.Queued, DeliveryStatus.DeadLettered];

    /// <summary>The reason given when a redelivered message found its delivery already finished and changed nothing.</summary>
    public const string AlreadyFinished = "Already finished; this redelivery changed nothing.";

    /// <summary>One delivery: a batch of one. A delivery that does not exist is a <see cref="PermanentDeliveryException"/>.</summary>
    public async Task<DeliveryOutcome> ProcessAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<Guid, DeliveryOutcome> outcomes;
        try
        {
            outcomes = await ProcessManyAsync([deliveryId], cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await CountFailedAttemptsAsync([deliveryId], CancellationToken.None);
            throw;
        }
        return outcomes.TryGetValue(deliveryId, out var outcome)
            ? outcome
            : throw new PermanentDeliveryException($"Delivery {deliveryId} does not exist.");
    }

    /// <summary>Processes the deliveries, reading what their events leave out first (before the transaction opens).</summary>
    public Task<IReadOnlyDictionary<Guid, DeliveryOutcome>> ProcessManyAsync(
        IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken) =>
        ProcessManyAsync(deliveryIds, fetched: null, sentAt: null, cancellationToken);

    /// <summary>
    /// Processes the deliveries in one transaction and returns each one's outcome; ids with no delivery are absent.
    /// The attempt is counted with the outcome, in the same statement; an attempt that fails and rolls back is counted
    /// by its caller (<see cref="CountFailedAttemptsAsync"/>), which knows whether it will be retried alone. <paramref name="fetched"/>
    /// is what the fetch step read for them (<see cref="DeliveryGroupCommit"/>); null reads it here, also before the
    /// transaction: a sender's API is never called while this batch holds locks. <paramref name="sentAt"/> is when the
    /// relay sent each (its message's send time), recorded as its publish time; one not named there gets the time of
    /// its outcome.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, DeliveryOutcome>> ProcessManyAsync(
        IReadOnlyCollection<Guid> deliveryIds, IReadOnlyDictionary<Guid, FetchedItems>? fetched,
        IReadOnlyDictionary<Guid, DateTimeOffset>? sentAt, CancellationToken cancellationToken)
    {
        var ids = deliveryIds.Distinct().Order().ToArray();
        fetched ??= await fetching.FetchAllAsync(ids, cancellationToken);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked in id order, and checked again: two copies of one message consumed at once must not both record an
        // outcome, and two batches sharing deliveries take them in the same order.
        var rows = await db.Deliveries.FromSql($"SELECT * FROM deliveries WHERE id = ANY({ids}) ORDER BY id FOR UPDATE")
            .AsNoTracking().ToListAsync(cancellationToken);
        var outcomes = new Dictionary<Guid, DeliveryOutcome>(rows.Count);
        var waiting = new List<Delivery>(rows.Count);
        foreach (var row in rows)
        {
            if (Waiting.Contains(row.Status))
            {
                waiting.Add(row);
            }
            else
            {
                outcomes[row.Id] = new(row.Status, AlreadyFinished, row.Applied, row.Duplicates, row.NoTarget);
            }
        }
        if (waiting.Count == 0)
        {
            return outcomes;
        }

        // Arrival order: a sender's retry is the later copy, and changes are taken in the order they came.
        waiting.Sort((a, b) => a.ReceivedAt != b.ReceivedAt ? a.ReceivedAt.CompareTo(b.ReceivedAt) : a.Id.CompareTo(b.Id));
        var decided = await DecideAsync(waiting, fetched, cancellationToken);
        foreach (var delivery in waiting)
        {
            outcomes[delivery.Id] = decided[delivery.Id];
        }
        await applier.SaveAsync(OutcomesCommand([.. waiting.Select(d => (d.Id, decided[d.Id]))], sentAt), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    /// <summary>
    /// Counts a failed attempt of each delivery still waiting, in its own statement: one whose transaction rolled back
    /// (and will not be retried alone at once), or whose fetch failed. Never throws: a count that fails is logged.
    /// </summary>
    public async Task CountFailedAttemptsAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        var ids = deliveryIds.ToArray();
        try
        {
            await db.Deliveries.Where(d => ids.Contains(d.Id) && Waiting.Contains(d.Status))
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        }
        catch (Exception e)
        {
            // The caller must still see why the attempt failed, not why it could not be counted (likely the same outage).
            foreach (var id in ids)
            {
                Log.AttemptNotCounted(logger, id, e.GetType().Name);
            }
        }
    }

    /// <summary>
    /// The data errors that only the values a delivery's changes write can cause (too long for its column, a number out
    /// of range, a date or text PostgreSQL cannot take): the same write fails the same way on every attempt. Not the
    /// whole class 22: 2200H (a sequence exhausted), for one, is the database's problem and not the delivery's.
    /// </summary>
    private static readonly HashSet<string> DataRefusals =
    [
        PostgresErrorCodes.StringDataRightTruncation, PostgresErrorCodes.NumericValueOutOfRange, PostgresErrorCodes.InvalidDatetimeFormat,
        PostgresErrorCodes.DatetimeFieldOverflow, PostgresErrorCodes.CharacterNotInRepertoire, PostgresErrorCodes.InvalidTextRepresentation,
        PostgresErrorCodes.UntranslatableCharacter,
    ];

    /// <summary>
    /// The PostgreSQL error in <paramref name="failure"/> that refused what a delivery's transaction wrote as data
    /// (<see cref="DataRefusals"/>, e.g. 22001 a value too long for its column), or null. Unlike a lost connection or a
    /// conflict, that write fails the same way on every attempt.
    /// </summary>
    public static PostgresException? RefusedAsData(Exception failure)
    {
        for (Exception? cause = failure; cause is not null; cause = cause.InnerException)
        {
            if (cause is PostgresException refusal && DataRefusals.Contains(refusal.SqlState))
            {
                return refusal;
            }
        }
        return null;
    }

    /// <summary>
    /// Records the delivery <c>failed</c> with PostgreSQL's reason, in a statement of its own, when its transaction alone
    /// was refused as data (<see cref="RefusedAsData"/>): retrying would only fail it again and dead-letter it. The
    /// operator fixes the cause and replays it, as for any failed delivery. Null when it is no longer waiting (another
    /// attempt recorded an outcome first).
    /// </summary>
    public async Task<DeliveryOutcome?> RecordRefusedAsync(Guid deliveryId, PostgresException refusal, DateTimeOffset? sentAt, CancellationToken cancellationToken)
    {
        var outcome = DeliveryOutcome.Failed(
            $"PostgreSQL refused to store what the delivery describes ({refusal.SqlState}: {refusal.MessageText}); not retried: fix the cause, then replay the delivery.");
        var now = clock.GetUtcNow();
        var published = (sentAt ?? now).ToUniversalTime();
        var recorded = await db.Deliveries.Where(d => d.Id == deliveryId && Waiting.Contains(d.Status))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, outcome.Status)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1)
                .SetProperty(d => d.LastError, SenderText.Clean(outcome.Reason))
                .SetProperty(d => d.Applied, 0)
                .SetProperty(d => d.Duplicates, 0)
                .SetProperty(d => d.NoTarget, 0)
                .SetProperty(d => d.ProcessedAt, now)
                .SetProperty(d => d.PublishedAt, d => d.PublishedAt ?? published), cancellationToken);
        return recorded == 1 ? outcome : null;
    }

    /// <summary>
    /// Every outcome of the batch in one statement, sent with the batch's changes (the deliveries are not tracked: their
    /// bodies stay unsnapshotted), with the publish time (the relay writes no delivery: its send time comes with the
    /// message) and the attempt. Counted here, not in a statement of its own before the transaction: that wrote a second
    /// version of every delivery's row (its body inline) and committed once more per batch, ~40 µs of PostgreSQL per
    /// delivery draining (issue 15).
    /// </summary>
    private NpgsqlBatchCommand OutcomesCommand(IReadOnlyList<(Guid Id, DeliveryOutcome Outcome)> decided, IReadOnlyDictionary<Guid, DateTimeOffset>? sentAt)
    {
        var now = clock.GetUtcNow();
        return ChangeApplier.Command("""
            UPDATE deliveries AS d
               SET status = o.status, attempts = d.attempts + 1, last_error = o.last_error, applied = o.applied,
                   duplicates = o.duplicates, no_target = o.no_target, processed_at = $8, published_at = coalesce(d.published_at, o.published_at)
              FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::integer[], $6::integer[], $7::timestamptz[])
                   AS o(id, status, last_error, applied, duplicates, no_target, published_at)
             WHERE d.id = o.id
            """,
            decided.Select(d => d.Id).ToArray(),
            decided.Select(d => SnakeCaseEnumConverter<DeliveryStatus>.ToName(d.Outcome.Status)).ToArray(),
            // Reasons may quote the payload (or an API's answer): NUL included, which PostgreSQL's text cannot hold.
            decided.Select(d => SenderText.Clean(d.Outcome.Reason)).ToArray(),
            decided.Select(d => d.Outcome.Applied).ToArray(),
            decided.Select(d => d.Outcome.Duplicates).ToArray(),
            decided.Select(d => d.Outcome.NoTarget).ToArray(),
            decided.Select(d => (sentAt is not null && sentAt.TryGetValue(d.Id, out var sent) ? sent : now).ToUniversalTime()).ToArray(),
            now);
    }

    /// <summary>A delivery that got as far as applying: its changes and who applies them.</summary>
    private sealed record Plan(Delivery Delivery, Integration Integration, ApplyContext Context, IReadOnlyList<NormalizedChange> Changes, string? Note);

    private async Task<Dictionary<Guid, DeliveryOutcome>> DecideAsync(
        IReadOnlyList<Delivery> deliveries, IReadOnlyDictionary<Guid, FetchedItems> fetchedItems, CancellationToken cancellationToken)
    {
        var outcomes = new Dictionary<Guid, DeliveryOutcome>(deliveries.Count);
        var integrationIds = deliveries.Select(d => d.IntegrationId).Distinct().ToArray();
        var owners = await db.Integrations.Where(i => integrationIds.Contains(i.Id)).Select(IntegrationColumns.WithoutSecrets)
            .Join(db.Accounts, i => i.AccountId, a => a.Id, (i, a) => new { Integration = i, AccountStatus = a.Status })
            .ToDictionaryAsync(o => o.Integration.Id, cancellationToken);
        var retries = await SenderRetriesAsync(deliveries, cancellationToken);

        var plans = new List<Plan>(deliveries.Count);
        var resolvedMappings = new Dictionary<Guid, StatusMappingResult>();
        var parsedAs = new Dictionary<Guid, (Integration Integration, string? Failure)>();
        foreach (var delivery in deliveries)
        {
            if (!owners.TryGetValue(delivery.IntegrationId, out var owner))
            {
                outcomes[delivery.Id] = DeliveryOutcome.Ignored($"Integration {delivery.IntegrationId} no longer exists.");
                continue;
            }
            var integration = owner.Integration;
            if (!integration.Enabled)
            {
                outcomes[delivery.Id] = DeliveryOutcome.Ignored("The integration is disabled.");
                continue;
            }
            if (owner.AccountStatus != AccountStatus.Active)
            {
                outcomes[delivery.Id] = DeliveryOutcome.Ignored($"The account is {owner.AccountStatus.ToString().ToLowerInvariant()}.");
                continue;
            }
            if (retries.TryGetValue(delivery.Id, out var earlierId))
            {
                outcomes[delivery.Id] = new DeliveryOutcome(DeliveryStatus.Duplicate, $"The sender's retry of delivery {earlierId}; not applied again.");
                continue;
            }

            // A Standard Webhooks integration without a mapping of its own reads its events with its template's.
            if (!parsedAs.TryGetValue(integration.Id, out var forParsing))
            {
                forParsing = delivery.Provider == Provider.Standard
                    ? await templates.WithInheritedMappingAsync(integration, cancellationToken)
                    : (integration, null);
                parsedAs[integration.Id] = forParsing;
            }
            if (forParsing.Failure is { } templateFailure)
            {
                outcomes[delivery.Id] = DeliveryOutcome.Failed(templateFailure);
                continue;
            }
            var parsed = parsers.Parse(delivery.Provider, delivery.Body, ReadHeaders(delivery.Headers), forParsing.Integration);
            if (parsed.Outcome is ParseOutcome.Ignored or ParseOutcome.Failed)
            {
                outcomes[delivery.Id] = parsed.Outcome == ParseOutcome.Ignored
                    ? DeliveryOutcome.Ignored(parsed.Reason ?? "Ignored by the parser.")
                    : DeliveryOutcome.Failed(parsed.Reason ?? "The parser rejected the payload.");
                continue;
            }

            // Asana and Smartsheet events carry ids only: what they leave out was read from the sender's API before this
            // transaction (or, without credentials, is recorded in the history only, and the outcome says so).
            var fetched = fetchedItems.GetValueOrDefault(delivery.Id, FetchedItems.None).Complete(parsed.Changes);
            if (fetched.Outcome is { } settled)
            {
                outcomes[delivery.Id] = settled;
                continue;
            }
            var changes = fetched.Changes;

            var statusMappings = new Dictionary<string, string>();
            if (changes.OfType<StatusChanged>().ToList() is { Count: > 0 } statusChanges)
            {
                if (!resolvedMappings.TryGetValue(integration.Id, out var resolved))
                {
                    resolved = await templates.StatusMappingsAsync(integration, cancellationToken);
                    resolvedMappings[integration.Id] = resolved;
                }
                if (resolved.Failure is { } failure)
                {
                    outcomes[delivery.Id] = DeliveryOutcome.Failed(failure);
                    continue;
                }
                if (statusChanges.FirstOrDefault(s => !resolved.Mappings.ContainsKey(s.NewStatus)) is { } unmapped)
                {
                    outcomes[delivery.Id] = DeliveryOutcome.Failed(
                        $"Unmapped status '{unmapped.NewStatus}': integration '{integration.Name}' (and its templates) has no statusMappings entry for it.");
                    continue;
                }
                statusMappings = new Dictionary<string, string>(resolved.Mappings, StringComparer.OrdinalIgnoreCase);
            }

            var context = new ApplyContext(delivery.Id, integration.Id, integration.Provider, integration.RunAsUserId, statusMappings, delivery.ReceivedAt);
            plans.Add(new Plan(delivery, integration, context, changes, fetched.Note));
        }

        await ApplyAsync(plans, outcomes, cancellationToken);
        return outcomes;
    }

    /// <summary>
    /// Resolves and locks every plan's targets, takes the ledger keys of all (record, change) pairs at once, then
    /// applies the ones taken, delivery by delivery in arrival order.
    /// </summary>
    private async Task ApplyAsync(IReadOnlyList<Plan> plans, Dictionary<Guid, DeliveryOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (plans.Count == 0)
        {
            return;
        }
        var items = plans.SelectMany(p => p.Changes.Select(c => (p.Integration, c.ExternalItemId))).Distinct().ToList();
        var targetsByItem = await targets.ResolveAndLockAsync(items, cancellationToken);

        var entries = new List<(Plan Plan, Record Record, NormalizedChange Change)>();
        var noTarget = new Dictionary<Guid, int>();
        foreach (var plan in plans)
        {
            foreach (var change in plan.Changes)
            {
                if (!targetsByItem.TryGetValue(new TargetKey(plan.Integration.Id, change.ExternalItemId), out var records))
                {
                    noTarget[plan.Delivery.Id] = noTarget.GetValueOrDefault(plan.Delivery.Id) + 1;
                    continue;
                }
                entries.AddRange(records.Select(record => (plan, record, change)));
            }
        }

        await applier.LoadCommentsAsync(
            [.. entries.Select(e => (e.Record.Id, e.Plan.Context.Provider, CommentId: ChangeApplier.CommentIdOf(e.Change)))
                .Where(e => e.CommentId is not null).Select(e => (e.Id, e.Provider, e.CommentId!))],
            cancellationToken);
        var taken = await applier.TakeLedgerKeysAsync(
            [.. entries.Select(e => new LedgerEntry(e.Record.Id, DedupKey.For(e.Change), e.Plan.Delivery.Id))], cancellationToken);

        var counts = new Dictionary<Guid, ApplyCounts>();
        for (var i = 0; i < entries.Count; i++)
        {
            var (plan, record, change) = entries[i];
            if (taken[i])
            {
                applier.Apply(plan.Context, record, change);
            }
            counts[plan.Delivery.Id] = counts.GetValueOrDefault(plan.Delivery.Id) + (taken[i] ? new ApplyCounts(1, 0) : new ApplyCounts(0, 1));
        }

        foreach (var plan in plans)
        {
            var id = plan.Delivery.Id;
            var (applied, duplicates) = counts.GetValueOrDefault(id);
            Log.Applied(logger, id, applied, duplicates, noTarget.GetValueOrDefault(id));
            outcomes[id] = DeliveryOutcome.FromCounts(applied, duplicates, noTarget.GetValueOrDefault(id)) with { Reason = plan.Note };
        }
    }

    /// <summary>
    /// The sender's own retries: a delivery whose sender-assigned id an earlier delivery of the same integration already
    /// carries (earlier in the database or earlier in this batch), mapped to that earlier delivery's id.
    /// </summary>
    private async Task<Dictionary<Guid, Guid>> SenderRetriesAsync(IReadOnlyList<Delivery> deliveries, CancellationToken cancellationToken)
    {
        var retries = new Dictionary<Guid, Guid>();
        var withSourceId = deliveries.Where(d => d.SourceDeliveryId is not null).ToList();
        if (withSourceId.Count == 0)
        {
            return retries;
        }
        // One index lookup per (integration, sender's id) pair: the integrations and the ids given as two lists made
        // PostgreSQL look up every combination (integrations × ids), a tenth of its time per delivery with 8 integrations.
        var pairs = withSourceId.Select(d => (d.IntegrationId, SourceDeliveryId: d.SourceDeliveryId!)).Distinct().ToList();
        var integrationIds = pairs.Select(p => p.IntegrationId).ToArray();
        var sourceIds = pairs.Select(p => p.SourceDeliveryId).ToArray();
        var candidates = await db.Database.SqlQuery<SenderDelivery>($"""
            SELECT d.id AS "Id", d.integration_id AS "IntegrationId", d.source_delivery_id AS "SourceDeliveryId", d.received_at AS "ReceivedAt"
              FROM unnest({integrationIds}, {sourceIds}) AS k(integration_id, source_delivery_id)
              JOIN deliveries d ON d.integration_id = k.integration_id AND d.source_delivery_id = k.source_delivery_id
            """).ToListAsync(cancellationToken);
        var bySourceId = candidates.ToLookup(c => (c.IntegrationId, c.SourceDeliveryId));
        foreach (var delivery in withSourceId)
        {
            var earlier = bySourceId[(delivery.IntegrationId, delivery.SourceDeliveryId!)]
                .FirstOrDefault(c => c.Id != delivery.Id && c.ReceivedAt < delivery.ReceivedAt);
            if (earlier is not null)
            {
                retries[delivery.Id] = earlier.Id;
            }
        }
        return retries;
    }

    private sealed record SenderDelivery(Guid Id, Guid IntegrationId, string SourceDeliveryId, DateTimeOffset ReceivedAt);

    internal static Dictionary<string, string> ReadHeaders(string json)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(json))
        {
            return headers;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return headers;
            }
            foreach (var property in document.RootElement.EnumerateObject())
            {
                headers[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() ?? "" : property.Value.GetRawText();
            }
        }
        catch (JsonException)
        {
            // Headers are a convenience for parsers; unreadable ones are treated as none.
        }
        return headers;
    }
}
