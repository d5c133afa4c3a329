using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Outbox;

/// <summary>
/// The outbox is the <c>outbox</c> table (<see cref="Persistence.Model.OutboxEntry"/>), filled by triggers on deliveries in
/// the transaction that stores or puts back a delivery. The relay locks the oldest outbox rows (FOR UPDATE SKIP LOCKED,
/// so ingress replicas take disjoint rows and do not publish the same delivery twice), sends their deliveries as claim
/// checks with a broker confirm (<see cref="OutboxMessages"/>: several of one provider in one
/// <see cref="ProcessDeliveryBatch"/>), then marks the deliveries published and deletes the outbox rows, all in one
/// transaction. It never locks a delivery while it waits for the broker, so a worker that already has the message does
/// not wait for the relay. It is woken by every commit, by a replay in any process
/// (<see cref="OutboxNotificationListener"/>), and sweeps on a timer for what a stopped broker left behind. A process
/// that dies mid-pass releases its rows with its connection. It is the only sender of ProcessDelivery and ProcessDeliveryBatch.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    IOptions<OutboxOptions> options,
    IngressTelemetry telemetry,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

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
                var woken = await _wake.WaitAsync(backoff > TimeSpan.Zero ? backoff : settings.SweepInterval, stoppingToken);
                if (woken && backoff == TimeSpan.Zero && settings.Linger > TimeSpan.Zero)
                {
                    // Let the commits of the next few milliseconds join this pass: one claim, one message and one mark
                    // for all of them, and one worker transaction, instead of one of each per commit.
                    await Task.Delay(settings.Linger, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
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
                return;
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
    /// One claim → send → mark pass, in one transaction. Returns how many rows were claimed and how many could not be sent.
    /// The claim is the outbox rows' locks (<c>FOR UPDATE SKIP LOCKED</c>): other replicas skip them until the commit, and
    /// a process that dies mid-pass releases them with its connection. The mark sets <c>queued</c> only on deliveries still
    /// <c>accepted</c> and not locked by a worker (one being processed gets its outcome instead), and the outbox rows
    /// claimed are deleted by their own ids: a delivery a worker handed back meanwhile has a new outbox row, which stays.
    /// The mark and the delete run with an asynchronous commit: lost in a crash, they only mean the deliveries are sent
    /// again, which the workers treat as the same deliveries (a delivery with an outcome is left alone; the ledger applies
    /// once). An outbox row whose delivery already has its outcome is deleted without a send.
    /// The claimed deliveries of one provider go as one <see cref="ProcessDeliveryBatch"/> (up to
    /// <see cref="OutboxOptions.DeliveriesPerMessage"/> each); a provider with one claimed delivery, and a delivery
    /// attempted before (a replay, or one a worker handed back because it failed in a batch), go alone as a
    /// <see cref="ProcessDelivery"/>, so retries and dead letters stay per delivery.
    /// </summary>
    public async Task<(int Claimed, int Failed)> RelayOnceAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (claimed, stale) = await ClaimAsync(connection, settings.BatchSize, cancellationToken);
        if (claimed.Count == 0 && stale.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return (0, 0);
        }

        var messages = OutboxMessages.From(claimed, settings.DeliveriesPerMessage);
        var results = new bool[messages.Count];
        await Parallel.ForAsync(0, messages.Count, new ParallelOptions { MaxDegreeOfParallelism = settings.SendConcurrency, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await SendAsync(messages[i], settings.SendTimeout, token));
        var sent = new List<ClaimedDelivery>(claimed.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (results[i])
            {
                sent.AddRange(messages[i].Deliveries);
            }
        }

        if (sent.Count > 0 || stale.Count > 0)
        {
            await MarkAsync(connection, sent, stale, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        telemetry.Published(sent.Count);
        var unsent = claimed.Count - sent.Count;
        if (unsent > 0)
        {
            Log.SendFailed(logger, unsent, claimed.Count);
        }
        return (claimed.Count + stale.Count, unsent);
    }

    private async Task<(List<ClaimedDelivery> Waiting, List<long> Stale)> ClaimAsync(
        NpgsqlConnection connection, int batchSize, CancellationToken cancellationToken)
    {
        // Outer join: a row whose delivery is gone (deleted by hand) is claimed too, and deleted as stale, so it does not
        // stay in the backlog the health check and the console count.
        await using var command = new NpgsqlCommand("""
            SELECT o.id, o.delivery_id, d.integration_id, d.provider, d.received_at, d.trace_parent, d.attempts,
                   coalesce(d.status IN ('accepted', 'queued'), false) AS waiting
            FROM outbox o LEFT JOIN deliveries d ON d.id = o.delivery_id
            ORDER BY o.id
            LIMIT $1
            FOR UPDATE OF o SKIP LOCKED
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
        var waiting = new List<ClaimedDelivery>();
        var stale = new List<long>();
        var named = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var outboxId = reader.GetInt64(0);
            var deliveryId = reader.GetGuid(1);
            // Not waiting: it has its outcome (an earlier send whose mark was lost), or it is gone. A delivery put back
            // twice before a pass has two rows: one send covers both.
            if (!reader.GetBoolean(7) || !named.Add(deliveryId))
            {
                stale.Add(outboxId);
                continue;
            }
            if (!ProviderNames.TryParse(reader.GetString(3), out var provider))
            {
                Log.UnknownProvider(logger, deliveryId, reader.GetString(3));
                stale.Add(outboxId);
                continue;
            }
            waiting.Add(new ClaimedDelivery(outboxId, deliveryId, reader.GetGuid(2), provider.Value,
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6)));
        }
        return (waiting, stale);
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

    private static async Task MarkAsync(NpgsqlConnection connection, List<ClaimedDelivery> sent, List<long> stale, CancellationToken cancellationToken)
    {
        // Neither column is in an index of deliveries, so the mark is a HOT update on the row's own page. A delivery a
        // worker holds is skipped rather than waited for: it is getting its outcome (or being handed back) right now.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO off"),
                new NpgsqlBatchCommand("""
                    UPDATE deliveries SET published_at = now(), status = 'queued'
                    WHERE id IN (SELECT id FROM deliveries WHERE id = ANY($1) AND status = 'accepted' FOR UPDATE SKIP LOCKED)
                    """)
                {
                    Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = [.. sent.Select(d => d.DeliveryId)] } },
                },
                new NpgsqlBatchCommand("DELETE FROM outbox WHERE id = ANY($1)")
                {
                    Parameters = { new NpgsqlParameter<long[]> { TypedValue = [.. sent.Select(d => d.OutboxId), .. stale] } },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
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
