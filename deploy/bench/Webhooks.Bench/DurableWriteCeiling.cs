using System.Diagnostics;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Webhooks.Bench;

/// <summary>
/// The durable-write ceiling: the ingress's rows (same columns, same ~1 KB body, same indexes) written by binary COPY
/// into a scratch copy of <c>deliveries</c>, one transaction per batch, by a few concurrent writers — the group commit
/// of the ingress without HTTP, routing or signatures. With 64 connections at most 64 requests wait at once, so the
/// script passes batch × writers = 64.
/// </summary>
public static class DurableWriteCeiling
{
    public static async Task<int> RunAsync(string connectionString, TimeSpan duration, int batch, int writers)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = dataSource.CreateCommand("""
            DROP TABLE IF EXISTS bench_scratch;
            CREATE TABLE bench_scratch (LIKE deliveries INCLUDING ALL);
            """))
        {
            await create.ExecuteNonQueryAsync();
        }

        var body = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "comment_created.json")));
        var integrationId = Guid.CreateVersion7();
        var latencies = new List<double>[writers];
        var total = 0L;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            latencies[w] = [];
            await Task.Yield();
            while (Stopwatch.GetTimestamp() < until)
            {
                var batchStarted = Stopwatch.GetTimestamp();
                await using (var connection = await dataSource.OpenConnectionAsync())
                await using (var importer = await connection.BeginBinaryImportAsync("""
                    COPY bench_scratch (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id,
                                       signature_verified, status, attempts, last_error, applied, duplicates, no_target)
                    FROM STDIN (FORMAT BINARY)
                    """))
                {
                    for (var i = 0; i < batch; i++)
                    {
                        var id = Guid.CreateVersion7();
                        await importer.StartRowAsync();
                        await importer.WriteAsync(id, NpgsqlDbType.Uuid);
                        await importer.WriteAsync(integrationId, NpgsqlDbType.Uuid);
                        await importer.WriteAsync("jira", NpgsqlDbType.Text);
                        await importer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                        await importer.WriteAsync("""{"User-Agent":"Atlassian Webhook HTTP Client","X-Atlassian-Webhook-Flow":"Primary"}""", NpgsqlDbType.Jsonb);
                        await importer.WriteAsync("application/json", NpgsqlDbType.Text);
                        await importer.WriteAsync(body, NpgsqlDbType.Bytea);
                        await importer.WriteAsync(id.ToString("N"), NpgsqlDbType.Text);
                        await importer.WriteAsync(false, NpgsqlDbType.Boolean);
                        await importer.WriteAsync("accepted", NpgsqlDbType.Text);
                        await importer.WriteAsync(0, NpgsqlDbType.Integer);
                        await importer.WriteNullAsync();
                        await importer.WriteAsync(0, NpgsqlDbType.Integer);
                        await importer.WriteAsync(0, NpgsqlDbType.Integer);
                        await importer.WriteAsync(0, NpgsqlDbType.Integer);
                    }
                    await importer.CompleteAsync();
                }
                latencies[w].Add(Stopwatch.GetElapsedTime(batchStarted).TotalMilliseconds);
                Interlocked.Add(ref total, batch);
            }
        }));

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        Console.WriteLine(FormattableString.Invariant(
            $"CEILING rows={total} seconds={seconds:F1} rows_per_s={total / seconds:F0} batch={batch} writers={writers} commit_p50_ms={Percentiles.Of(all, 0.50):F1} commit_p99_ms={Percentiles.Of(all, 0.99):F1}"));

        await using (var drop = dataSource.CreateCommand("DROP TABLE bench_scratch"))
        {
            await drop.ExecuteNonQueryAsync();
        }
        return 0;
    }
}
