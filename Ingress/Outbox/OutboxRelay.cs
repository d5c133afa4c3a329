using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Outbox;

/// <summary>
/// The outbox is the <c>outbox</c> table (<see cref="Persistence.Model.OutboxEntry"/>), filled by triggers on deliveries in
/// the transaction that stores or puts back a delivery: one row per stored commit, naming its deliveries with their claim
/// checks, and one per put-back. The relay locks the oldest outbox rows (FOR UPDATE SKIP LOCKED, so ingress replicas take disjoint rows and
/// do not publish the same delivery twice), sends their deliveries as claim checks with a broker confirm
/// (<see cref="OutboxMessages"/>: several of one provider in one <see cref="ProcessDeliveryBatch"/>), then deletes the
/// rows whose deliveries all went, in one transaction. It never locks or writes a delivery, so a worker that already has
/// the message does not wait for the relay; a sent delivery shows as <c>queued</c> because no outbox row names it any
/// more (<see cref="Persistence.ShownDeliveryStatus"/>). It is woken by every commit,
/// by a replay in any process (<see cref="OutboxNotificationListener"/>), and sweeps on a timer for what a stopped broker
/// left behind. A process that dies mid-pass releases its rows with its connection. It is the only sender of
/// ProcessDelivery and ProcessDeliveryBatch.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    IngressTelemetry telemetry,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Whether the next pass reads its deliveries from <c>deliveries</c> rather than trusting the rows' claim checks.</summary>
    private volatile bool _verify = true;

    /// <summary>The relay's statements are planned with the table sizes of the moment, never from a plan cached earlier.</summary>
    private const string CustomPlan = "SET LOCAL plan_cache_mode TO force_custom_plan";

    // The outbox is mostly empty and mostly dead rows: each row is deleted milliseconds after its insert, so under load it
    // spans ~200 pages between two vacuums. Estimated from a few live rows, a sequential scan (and a sort) looked cheaper
    // than the primary key, and every claim and every delete read all those pages (~0.9 ms a claim; at 500 webhooks/s
    // the relay's statements took 49 µs per webhook in pg_stat_statements, 6 µs with the key). The key's order is the
    // claim's order and its dead entries are skipped once marked, so it is the better path at any size.
    private const string IndexOnly = "SET LOCAL enable_seqscan TO off";

    /// <summary>Something was committed: run a pass now rather than at the next sweep.</summary>
    public void Notify()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = backoff > TimeSpan.Zero ? backoff : settings.SweepInterval;
                var woken = await _wake.WaitAsync(wait, stoppingToken);
                if (woken && backoff == TimeSpan.Zero && settings.Linger > TimeSpan.Zero)
                {
                    // Let the commits of the next few milliseconds join this pass: one claim and one message
                    // for all of them, and one worker transaction, instead of one of each per commit.
                    await Task.Delay(settings.Linger, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                int claimed, failed;
                do
                {
                    (claimed, failed) = await RelayOnceAsync(settings, stoppingToken);
                }
                while (claimed == settings.BatchSize && failed == 0 && !stoppingToken.IsCancellationRequested);
                backoff = failed > 0 ? NextBackoff(backoff, settings) : TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.PassFailed(logger, e.GetType().Name, e.Message);
                backoff = NextBackoff(backoff, settings);
            }
        }
    }

    private static TimeSpan NextBackoff(TimeSpan current, OutboxOptions settings) =>
        current == TimeSpan.Zero ? settings.MinBackoff : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, settings.MaxBackoff.Ticks));

    /// <summary>
    /// One claim → send → delete pass, in one transaction. Returns how many outbox rows were claimed and how many
    /// deliveries could not be sent. The claim is the outbox rows' locks (<c>FOR UPDATE SKIP LOCKED</c>): other replicas
    /// skip them until the commit, and a process that dies mid-pass releases them with its connection. A row whose
    /// deliveries all went (or need not go) is deleted by its id; a row with deliveries whose send failed keeps only
    /// those. A delivery a worker handed back meanwhile has a new outbox row, which stays. The delete runs with an
    /// asynchronous commit: lost in a crash, it only means the deliveries are sent again, which the workers treat as the
    /// same deliveries (a delivery with an outcome is left alone; the ledger applies once).
    /// A pass reads what it sends from the outbox rows' claim checks. Until the relay's first pass that claims rows and
    /// sends them all (after it starts, and again after a pass that failed), it verifies instead: it reads the named
    /// deliveries from <c>deliveries</c> and takes a delivery that already has its outcome (a send whose commit was lost,
    /// then applied) or is gone out of its row without a send. So does every pass for a row without claim checks. Rows
    /// a crashed replica left while this relay runs are sent without that check; the workers take them as the same
    /// deliveries.
    /// The claimed deliveries of one provider go as one <see cref="ProcessDeliveryBatch"/> (up to
    /// <see cref="OutboxOptions.DeliveriesPerMessage"/> each); a provider with one claimed delivery, and a delivery
    /// attempted before (a replay, or one a worker handed back because it failed in a batch), go alone as a
    /// <see cref="ProcessDelivery"/>, so retries and dead letters stay per delivery.
    /// </summary>
    public async Task<(int Claimed, int Failed)> RelayOnceAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var verify = _verify;
        // Pessimistic until this pass has sent everything it claimed: a pass that throws leaves the next one verifying.
        _verify = true;
        var claim = await ClaimAsync(connection, settings.BatchSize, verify, cancellationToken);
        if (claim.NamedByRow.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            _verify = verify;
            return (0, 0);
        }

        var messages = OutboxMessages.From(claim.Waiting, settings.DeliveriesPerMessage);
        var results = new bool[messages.Count];
        await Parallel.ForAsync(0, messages.Count, new ParallelOptions { MaxDegreeOfParallelism = settings.SendConcurrency, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await SendAsync(messages[i], settings.SendTimeout, token));
        var sent = new HashSet<Guid>(claim.Waiting.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (results[i])
            {
                sent.UnionWith(messages[i].Deliveries.Select(d => d.DeliveryId));
            }
        }

        await SettleRowsAsync(connection, claim, sent, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        telemetry.Published(sent.Count);
        var unsent = claim.Waiting.Count - sent.Count;
        if (unsent > 0)
        {
            Log.SendFailed(logger, unsent, claim.Waiting.Count);
        }
        _verify = unsent > 0;
        return (claim.NamedByRow.Count, unsent);
    }

    /// <summary>
    /// The outbox rows a pass locked, with how many deliveries each names, and the named deliveries that wait for a send
    /// (the others are named twice, name a provider this version does not know, or, where the pass read them from
    /// deliveries, have an outcome already or are gone).
    /// </summary>
    private sealed record OutboxClaim(Dictionary<long, int> NamedByRow, List<ClaimedDelivery> Waiting);

    /// <summary>A locked outbox row: its deliveries and, unless it has none, their claim checks in the same order.</summary>
    private sealed record ClaimedRow(long Id, Guid[] DeliveryIds, ClaimChecks? Checks);

    private sealed record ClaimChecks(Guid[] IntegrationIds, string[] Providers, DateTimeOffset[] ReceivedAts, string?[] TraceParents, int[] Attempts)
    {
        public bool Cover(int deliveries) =>
            IntegrationIds.Length == deliveries && Providers.Length == deliveries && ReceivedAts.Length == deliveries
            && TraceParents.Length == deliveries && Attempts.Length == deliveries;

        /// <summary>The row's <paramref name="i"/>-th delivery as its row says it waits.</summary>
        public StoredDelivery At(int i) => new(IntegrationIds[i], Providers[i], ReceivedAts[i], TraceParents[i], Attempts[i], Waiting: true);
    }

    /// <summary>A delivery as stored, for a row without claim checks or a pass that verifies.</summary>
    private sealed record StoredDelivery(Guid IntegrationId, string Provider, DateTimeOffset ReceivedAt, string? TraceParent, int Attempts, bool Waiting);

    private async Task<OutboxClaim> ClaimAsync(NpgsqlConnection connection, int rows, bool verify, CancellationToken cancellationToken)
    {
        // The rows alone: each carries its deliveries' claim checks (migration OutboxRowCarriesClaimCheck), so a pass does
        // not look up each delivery. Planned for each pass: a plan cached while the outbox was small would scan it whole
        // once a broker outage has grown it.
        var claimed = new List<ClaimedRow>();
        await using (var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(CustomPlan),
                new NpgsqlBatchCommand(IndexOnly),
                new NpgsqlBatchCommand("""
                    SELECT id, delivery_ids, integration_ids, providers, received_ats, trace_parents, attempts
                    FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
                    """)
                {
                    Parameters = { new NpgsqlParameter<int> { TypedValue = rows } },
                },
            },
        })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var deliveryIds = reader.GetFieldValue<Guid[]>(1);
                var checks = reader.IsDBNull(2) || reader.IsDBNull(3) || reader.IsDBNull(4) || reader.IsDBNull(5) || reader.IsDBNull(6)
                    ? null
                    : new ClaimChecks(reader.GetFieldValue<Guid[]>(2), reader.GetFieldValue<string[]>(3), reader.GetFieldValue<DateTimeOffset[]>(4),
                        reader.GetFieldValue<string?[]>(5), reader.GetFieldValue<int[]>(6));
                claimed.Add(new ClaimedRow(reader.GetInt64(0), deliveryIds, checks is not null && checks.Cover(deliveryIds.Length) ? checks : null));
            }
        }

        // A row without claim checks (written before they existed, or shrunk after a failed send) is read from deliveries,
        // and so is every row while the relay verifies (see RelayOnceAsync).
        var lookedUp = claimed.Where(row => verify || row.Checks is null).SelectMany(row => row.DeliveryIds).Distinct().ToArray();
        var stored = lookedUp.Length == 0 ? [] : await ReadStoredAsync(connection, lookedUp, cancellationToken);

        var claim = new OutboxClaim([], []);
        var seen = new HashSet<Guid>();
        foreach (var row in claimed)
        {
            // A row naming no delivery (no writer of ours leaves one) is claimed with none: it is deleted.
            claim.NamedByRow[row.Id] = row.DeliveryIds.Length;
            var checks = verify ? null : row.Checks;
            for (var i = 0; i < row.DeliveryIds.Length; i++)
            {
                var deliveryId = row.DeliveryIds[i];
                // Read from deliveries, it may be gone (deleted by hand) or not waiting: it has its outcome (an earlier send
                // whose delete was lost).
                var delivery = checks is not null ? checks.At(i) : stored.GetValueOrDefault(deliveryId);
                // A delivery put back twice before a pass is in two rows: one send covers both.
                if (delivery is not { Waiting: true } || !seen.Add(deliveryId))
                {
                    continue;
                }
                if (!ProviderNames.TryParse(delivery.Provider, out var provider))
                {
                    Log.UnknownProvider(logger, deliveryId, delivery.Provider);
                    continue;
                }
                claim.Waiting.Add(new ClaimedDelivery(row.Id, deliveryId, delivery.IntegrationId, provider.Value, delivery.ReceivedAt, delivery.TraceParent, delivery.Attempts));
            }
        }
        return claim;
    }

    private static async Task<Dictionary<Guid, StoredDelivery>> ReadStoredAsync(NpgsqlConnection connection, Guid[] deliveryIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id, integration_id, provider, received_at, trace_parent, attempts, status IN ('accepted', 'queued')
            FROM deliveries WHERE id = ANY($1)
            """, connection)
        {
            Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = deliveryIds } },
        };
        var stored = new Dictionary<Guid, StoredDelivery>(deliveryIds.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored[reader.GetGuid(0)] = new StoredDelivery(reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5), reader.GetBoolean(6));
        }
        return stored;
    }

    private static async Task SettleRowsAsync(NpgsqlConnection connection, OutboxClaim claim, HashSet<Guid> sent, CancellationToken cancellationToken)
    {
        // A row keeps exactly its deliveries still to send: none, it is deleted; all it named, it is left as it is.
        var unsentByRow = claim.Waiting.Where(d => !sent.Contains(d.DeliveryId)).GroupBy(d => d.OutboxId)
            .ToDictionary(g => g.Key, g => g.Select(d => d.DeliveryId).ToArray());
        var done = claim.NamedByRow.Keys.Where(row => !unsentByRow.ContainsKey(row)).ToArray();
        var shrunk = unsentByRow.Where(row => row.Value.Length < claim.NamedByRow[row.Key]).ToList();
        if (done.Length == 0 && shrunk.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO off"),
                new NpgsqlBatchCommand("DELETE FROM outbox WHERE id = ANY($1)")
                {
                    Parameters = { new NpgsqlParameter<long[]> { TypedValue = done } },
                },
            },
        };
        foreach (var (row, unsent) in shrunk)
        {
            // The claim checks of the deliveries it keeps are not rewritten: the next pass reads them from deliveries.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                UPDATE outbox SET delivery_ids = $2, integration_ids = NULL, providers = NULL, received_ats = NULL, trace_parents = NULL,
                                  attempts = NULL
                WHERE id = $1
                """)
            {
                Parameters = { new NpgsqlParameter<long> { TypedValue = row }, new NpgsqlParameter<Guid[]> { TypedValue = unsent } },
            });
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<bool> SendAsync(OutboxMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The send runs in this background loop, not in the request: continue the request's trace explicitly (a batch
        // links to each of its requests' traces).
        using var activity = IngressTelemetry.StartRelay(message);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var endpoint = await bus.GetSendEndpoint(QueueNames.SendAddressFor(message.Provider));
            if (message.Single is { } single)
            {
                await endpoint.Send(single, context => Prepare(context, single.DeliveryId), timeoutSource.Token);
            }
            else
            {
                await endpoint.Send(message.Batch!, context => Prepare(context, NewId.NextGuid()), timeoutSource.Token);
            }
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.SendError(logger, message.Deliveries.Count, message.Deliveries[0].DeliveryId, message.Provider.ToWireName(), e.GetType().Name, e.Message);
            return false;
        }
    }

    private static void Prepare(SendContext context, Guid messageId)
    {
        // A single delivery's message id is its delivery id: every re-send of it is recognisable as the same message.
        context.MessageId = messageId;
        if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
        {
            // An exchange with no queue bound would drop the message; mandatory turns that into an error.
            rabbit.Mandatory = true;
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Warning, "Could not send {Count} delivery(ies) (the first {DeliveryId}) to the {Provider} queue ({ExceptionType}: {Reason}); they stay in the outbox and are sent when the broker takes them. Unroutable: run deploy-topology; refused: check the broker and its credentials")]
        public static partial void SendError(ILogger logger, int count, Guid deliveryId, string provider, string exceptionType, string reason);

        [LoggerMessage(1202, LogLevel.Warning, "{Unsent} of {Claimed} claimed deliveries are still unpublished; backing off")]
        public static partial void SendFailed(ILogger logger, int unsent, int claimed);

        [LoggerMessage(1203, LogLevel.Error, "Outbox pass failed ({ExceptionType}: {Reason}); will retry")]
        public static partial void PassFailed(ILogger logger, string exceptionType, string reason);

        [LoggerMessage(1204, LogLevel.Error, "Delivery {DeliveryId} names provider '{Provider}', which this version does not know; not sent, and taken out of the outbox. Replay it once the provider is supported")]
        public static partial void UnknownProvider(ILogger logger, Guid deliveryId, string provider);
    }
}
