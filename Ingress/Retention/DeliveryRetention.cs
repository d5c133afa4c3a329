using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Retention;

/// <summary>
/// Deletes finished deliveries older than <see cref="RetentionOptions.Deliveries"/>, every
/// <see cref="RetentionOptions.Interval"/>, a batch per transaction. It runs where the admin API is served (the admin
/// connection may delete; the webhook path's role may not). Replicas delete disjoint rows (<c>SKIP LOCKED</c>), and a
/// delivery replayed meanwhile is left alone: the status is checked again on the locked row. Comments and history are
/// not touched, nor the applied-change ledger unless <see cref="RetentionOptions.AppliedChanges"/> is set (it is at
/// least as long): a sender's retry after the delivery is gone is still applied only once.
/// </summary>
public sealed partial class DeliveryRetention(
    [FromKeyedServices(PersistenceExtensions.DbContextDataSourceKey)] NpgsqlDataSource dataSource,
    IOptions<RetentionOptions> options,
    IOptions<IngressOptions> ingress,
    TimeProvider clock,
    ILogger<DeliveryRetention> logger) : BackgroundService
{
    /// <summary>
    /// Final statuses only. Not <c>dead_lettered</c>: its message waits in an error queue, and replaying it needs the
    /// stored delivery.
    /// </summary>
    private static readonly string[] Deletable = new[]
    {
        DeliveryStatus.Processed, DeliveryStatus.Duplicate, DeliveryStatus.Ignored, DeliveryStatus.Failed,
        DeliveryStatus.Handshake, DeliveryStatus.Rejected,
    }.Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName).ToArray();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Deliveries is not { } keep)
        {
            return;
        }
        if (string.IsNullOrEmpty(ingress.Value.AdminKey))
        {
            // A public replica: its role may not delete, and the replica with the admin API does it for all.
            Log.NotHere(logger);
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var before = clock.GetUtcNow() - keep;
            try
            {
                var deleted = await DeleteReceivedBeforeAsync(before, stoppingToken);
                if (deleted > 0)
                {
                    Log.Deleted(logger, deleted, before);
                }
                if (options.Value.AppliedChanges is { } keepLedger)
                {
                    var appliedBefore = clock.GetUtcNow() - keepLedger;
                    var forgotten = await DeleteAppliedBeforeAsync(appliedBefore, stoppingToken);
                    if (forgotten > 0)
                    {
                        Log.LedgerDeleted(logger, forgotten, appliedBefore);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // PostgreSQL away, or a role without DELETE on deliveries: the next pass tries again.
                Log.Failed(logger, e.GetType().Name, e.Message);
            }
            try
            {
                await Task.Delay(options.Value.Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Deletes the finished deliveries received before <paramref name="before"/>; returns how many.</summary>
    private Task<long> DeleteReceivedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        // Oldest first along ix_deliveries_received_at_id; FOR UPDATE re-checks the status of a row changed meanwhile.
        DeleteInBatchesAsync("""
            DELETE FROM deliveries WHERE id IN (
                SELECT id FROM deliveries
                WHERE received_at < $1 AND status = ANY($3)
                ORDER BY received_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            """, before, cancellationToken, () => new NpgsqlParameter<string[]> { TypedValue = Deletable });

    /// <summary>
    /// Deletes the ledger entries applied before <paramref name="before"/>, oldest first along
    /// <c>IX_applied_changes_applied_at</c>; returns how many. The entries are never updated, and a worker taking the
    /// same key meanwhile waits for this statement and then takes it anew, so no row is locked first.
    /// </summary>
    private Task<long> DeleteAppliedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        DeleteInBatchesAsync("""
            DELETE FROM applied_changes WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM applied_changes WHERE applied_at < $1 ORDER BY applied_at LIMIT $2))
            """, before, cancellationToken);

    /// <summary>
    /// Runs <paramref name="sql"/> ($1 the cutoff, $2 <see cref="RetentionOptions.BatchSize"/>, $3 what
    /// <paramref name="more"/> makes) until a run deletes fewer rows than a batch, each run its own transaction so no
    /// pass holds locks for long; returns how many rows in all.
    /// </summary>
    private async Task<long> DeleteInBatchesAsync(string sql, DateTimeOffset before, CancellationToken cancellationToken, Func<NpgsqlParameter>? more = null)
    {
        var batch = options.Value.BatchSize;
        long total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = before });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch });
            if (more is not null)
            {
                command.Parameters.Add(more());
            }
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < batch)
            {
                return total;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1604, LogLevel.Information, "Deleted {Count} applied-change ledger entries applied before {Before} (Retention:AppliedChanges)")]
        public static partial void LedgerDeleted(ILogger logger, long count, DateTimeOffset before);

        [LoggerMessage(1601, LogLevel.Information, "Deleted {Count} finished deliveries received before {Before} (Retention:Deliveries)")]
        public static partial void Deleted(ILogger logger, long count, DateTimeOffset before);

        [LoggerMessage(1603, LogLevel.Information, "Retention:Deliveries is set but this ingress does not serve the admin API (no Ingress:AdminKey): the one that does deletes old deliveries")]
        public static partial void NotHere(ILogger logger);

        [LoggerMessage(1602, LogLevel.Warning, "Could not delete old deliveries ({ExceptionType}: {Reason}); trying again at the next pass")]
        public static partial void Failed(ILogger logger, string exceptionType, string reason);
    }
}
