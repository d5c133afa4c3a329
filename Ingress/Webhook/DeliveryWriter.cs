using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Ingress.Outbox;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// Durable accept with group commit. One INSERT and one fsync per request tops out near 5,000/s on two cores, so
/// requests arriving together share one binary COPY (one transaction, one fsync) and each waits for its batch:
/// a request is answered 200 only after the commit that holds its row. A second writer overlaps one batch's fsync with
/// the next batch's COPY, but only once rows pile up behind the first (<see cref="BacklogForSecondWriter"/>): at a
/// moderate rate two writers would halve the rows per commit, and each commit costs its round trips and fsync whatever
/// it holds (issue 15). For the same reason the first writer, woken by fewer rows than that, waits
/// <see cref="IngressOptions.CommitLinger"/> for more before it writes.
/// </summary>
public sealed partial class DeliveryWriter(
    NpgsqlDataSource dataSource,
    OutboxRelay relay,
    IOptions<IngressOptions> options,
    TimeProvider clock,
    ILogger<DeliveryWriter> logger) : BackgroundService
{
    /// <summary>How long a writer with nothing to write keeps its connection for the next batch.</summary>
    private static readonly TimeSpan KeepConnectionWhileIdle = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Rows waiting that wake the second writer. Under the closed-loop maximum (64 connections) the queue refills past
    /// it during every commit; at 1,000 requests/s only ~2 rows arrive during one.
    /// </summary>
    internal const int BacklogForSecondWriter = 8;

    /// <summary>Released when the queue reaches <see cref="BacklogForSecondWriter"/> rows; at most one release pending.</summary>
    private readonly SemaphoreSlim _backlog = new(0, 1);

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(20_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleWriter = false,
        SingleReader = false,
    });

    /// <summary>
    /// Completes when the row is committed; throws when it could not be stored: <see cref="UnstorableDeliveryException"/>
    /// when the database refused this row itself (it would be refused again, so it must not be held for later either),
    /// anything else when the database could not take the batch it was in.
    /// </summary>
    public async Task WriteAsync(DeliveryRow row, CancellationToken cancellationToken)
    {
        var pending = new Pending(row, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        if (_queue.Reader.Count >= BacklogForSecondWriter && _backlog.CurrentCount == 0)
        {
            try
            {
                _backlog.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another request released it first: one wake-up is enough.
            }
        }
        // Once queued the row is written even if the sender hangs up: it may already count on a retry being a duplicate.
        await pending.Committed.Task;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WriteBatchesAsync(second: false, stoppingToken), WriteBatchesAsync(second: true, stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let queued rows reach the database before the process ends.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteBatchesAsync(bool second, CancellationToken stoppingToken)
    {
        var maxBatch = options.Value.MaxBatchSize;
        var linger = options.Value.CommitLinger;
        var batch = new List<Pending>(maxBatch);
        var reader = _queue.Reader;
        // Kept from one batch to the next: a pooled connection handed back after every batch has the pool's reset (seven
        // statements) run before its next COPY. A writer idle (the second: without a backlog) for a second hands it back.
        NpgsqlConnection? connection = null;
        try
        {
            while (true)
            {
                var idleAfter = connection is null ? Timeout.InfiniteTimeSpan : KeepConnectionWhileIdle;
                var wake = second ? await WaitForBacklogAsync(idleAfter) : await WaitForRowsAsync(idleAfter);
                if (wake == Wake.Done)
                {
                    break;
                }
                if (wake == Wake.Idle)
                {
                    connection = await DisposeAsync(connection);
                    continue;
                }
                if (!second && linger > TimeSpan.Zero && reader.Count < BacklogForSecondWriter)
                {
                    // Real time, not the injected clock: this paces writes like a socket timeout would, and a clock that
                    // stands still (the tests') must not stop them. Rows piling up meanwhile wake the second writer.
                    await Task.Delay(linger, CancellationToken.None);
                }
                batch.Clear();
                while (batch.Count < maxBatch && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                var cancellationToken = stoppingToken.IsCancellationRequested ? CancellationToken.None : stoppingToken;
                try
                {
                    connection ??= await dataSource.OpenConnectionAsync(cancellationToken);
                    await CopyAsync(connection, batch, cancellationToken);
                    foreach (var pending in batch)
                    {
                        pending.Committed.TrySetResult();
                    }
                    if (batch.Exists(p => p.Row.Status == DeliveryStatus.Accepted))
                    {
                        relay.Notify();
                    }
                }
                catch (Exception e) when (IsRowError(e) && batch.Count > 1)
                {
                    // One row the database or the encoder refuses fails the whole COPY: write the rows one by one, so one
                    // bad row cannot refuse its batch and each request's answer follows its own row.
                    Log.BatchSplit(logger, batch.Count, Reason(e));
                    connection = await DisposeAsync(connection);
                    foreach (var pending in batch)
                    {
                        await WriteAloneAsync(pending, stoppingToken);
                    }
                }
                catch (Exception e)
                {
                    // The connection may be what failed (a restarted server, a broken socket): the next batch opens another.
                    connection = await DisposeAsync(connection);
                    Fail(batch, e);
                }
            }
        }
        finally
        {
            await DisposeAsync(connection);
        }
    }

    /// <summary>What ended a writer's wait: rows to write, <c>idleAfter</c> without any, or a completed, empty queue.</summary>
    private enum Wake { Rows, Idle, Done }

    /// <summary>The first writer's wait: any row.</summary>
    private async Task<Wake> WaitForRowsAsync(TimeSpan idleAfter)
    {
        var reader = _queue.Reader;
        if (reader.TryPeek(out _))
        {
            return Wake.Rows;
        }
        using var idle = IdleTimeout(idleAfter);
        try
        {
            return await reader.WaitToReadAsync(idle.Token) ? Wake.Rows : Wake.Done;
        }
        catch (OperationCanceledException)
        {
            return Wake.Idle;
        }
    }

    /// <summary>
    /// The second writer's wait: <see cref="BacklogForSecondWriter"/> rows (waiting, or released by a request that saw
    /// them). It ends once the queue is completed and drained: rows still queued at shutdown are the first writer's.
    /// </summary>
    private async Task<Wake> WaitForBacklogAsync(TimeSpan idleAfter)
    {
        var reader = _queue.Reader;
        if (reader.Count >= BacklogForSecondWriter)
        {
            return Wake.Rows;
        }
        using var idle = IdleTimeout(idleAfter);
        var released = _backlog.WaitAsync(idle.Token);
        await Task.WhenAny(released, reader.Completion);
        if (reader.Completion.IsCompleted)
        {
            idle.Cancel();
            return Wake.Done;
        }
        try
        {
            await released;
            return Wake.Rows;
        }
        catch (OperationCanceledException)
        {
            return Wake.Idle;
        }
    }

    private CancellationTokenSource IdleTimeout(TimeSpan after) =>
        after == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(after, clock);

    private static async Task<NpgsqlConnection?> DisposeAsync(NpgsqlConnection? connection)
    {
        try
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception)
        {
            // A connection that broke may fail even its close; the writer must go on with the next batch regardless.
        }
        return null;
    }

    private async Task WriteAloneAsync(Pending pending, CancellationToken stoppingToken)
    {
        try
        {
            var cancellationToken = stoppingToken.IsCancellationRequested ? CancellationToken.None : stoppingToken;
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await CopyAsync(connection, [pending], cancellationToken);
            pending.Committed.TrySetResult();
            if (pending.Row.Status == DeliveryStatus.Accepted)
            {
                relay.Notify();
            }
        }
        catch (Exception e)
        {
            Fail([pending], e);
        }
    }

    /// <summary>
    /// The row itself cannot be stored: a data or constraint error (SQLSTATE classes 22 and 23), or a value the client
    /// cannot encode. Anything else (connection, timeout, shutdown) is about the database, not the row.
    /// </summary>
    private static bool IsRowError(Exception e) =>
        e is PostgresException { SqlState: var state } && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal))
        || e is ArgumentException or InvalidCastException or FormatException or OverflowException;

    private static string Reason(Exception e) => e is PostgresException postgres ? postgres.SqlState : e.GetType().Name;

    private void Fail(List<Pending> batch, Exception e)
    {
        Log.BatchFailed(logger, batch.Count, e.GetType().Name, e.Message);
        // Alone in its batch, a row error is this row's: holding it for later would only meet the same refusal.
        Exception failure = batch.Count == 1 && IsRowError(e) ? new UnstorableDeliveryException(Reason(e), e) : e;
        foreach (var pending in batch)
        {
            pending.Committed.TrySetException(failure);
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, List<Pending> batch, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync("""
            COPY deliveries (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id,
                             signature_verified, status, attempts, last_error, applied, duplicates, no_target, trace_parent)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var (row, _) in batch)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(row.Id, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(row.IntegrationId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(Contracts.ProviderNames.ToWireName(row.Provider), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(row.ReceivedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(row.Headers, NpgsqlDbType.Jsonb, cancellationToken);
            await WriteNullableAsync(importer, row.ContentType, cancellationToken);
            await importer.WriteAsync(row.Body, NpgsqlDbType.Bytea, cancellationToken);
            await WriteNullableAsync(importer, row.SourceDeliveryId, cancellationToken);
            await importer.WriteAsync(row.SignatureVerified, NpgsqlDbType.Boolean, cancellationToken);
            await importer.WriteAsync(SnakeCaseEnumConverter<DeliveryStatus>.ToName(row.Status), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await WriteNullableAsync(importer, row.LastError, cancellationToken);
            await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await WriteNullableAsync(importer, row.TraceParent, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    // PostgreSQL text cannot hold NUL; values read from a hostile body must not fail the row.
    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null
            ? importer.WriteNullAsync(cancellationToken)
            : importer.WriteAsync(value.Replace("\0", "", StringComparison.Ordinal), NpgsqlDbType.Text, cancellationToken);

    private sealed record Pending(DeliveryRow Row, TaskCompletionSource Committed);

    private static partial class Log
    {
        [LoggerMessage(1102, LogLevel.Warning, "A batch of {Count} deliveries hit a row error ({Reason}); writing them one by one")]
        public static partial void BatchSplit(ILogger logger, int count, string reason);

        [LoggerMessage(1101, LogLevel.Error, "Could not store a batch of {Count} deliveries ({ExceptionType}: {Reason}); their senders are told to retry")]
        public static partial void BatchFailed(ILogger logger, int count, string exceptionType, string reason);
    }
}
