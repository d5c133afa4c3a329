using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Webhooks.Bench;

/// <summary>
/// The raw COPY rate, no HTTP: the ingress's rows written into the scratch table by binary COPY, one transaction per
/// batch, by a few concurrent writers, as fast as PostgreSQL takes them. Evidence of what the database alone costs;
/// the durable-write ceiling the ingress is held to is <see cref="DurableEndpoint"/>, which pays for HTTP and the load
/// generator as the ingress does. With 64 connections at most 64 requests wait at once, so the script passes
/// batch × writers = 64.
/// </summary>
public static class DurableWriteCeiling
{
    public static async Task<int> RunAsync(string connectionString, TimeSpan duration, int batch, int writers)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ScratchTable.CreateAsync(dataSource);

        var body = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "comment_created.json")));
        var integrationId = Guid.CreateVersion7();
        var latencies = new List<double>[writers];
        var total = 0L;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            latencies[w] = [];
            var rows = new ScratchRow[batch];
            await Task.Yield();
            while (Stopwatch.GetTimestamp() < until)
            {
                var batchStarted = Stopwatch.GetTimestamp();
                for (var i = 0; i < batch; i++)
                {
                    var id = Guid.CreateVersion7();
                    rows[i] = new ScratchRow(id, integrationId, DateTimeOffset.UtcNow, body, id.ToString("N"));
                }
                await ScratchTable.CopyAsync(dataSource, rows);
                latencies[w].Add(Stopwatch.GetElapsedTime(batchStarted).TotalMilliseconds);
                Interlocked.Add(ref total, batch);
            }
        }));

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        Console.WriteLine(FormattableString.Invariant(
            $"CEILING rows={total} seconds={seconds:F1} rows_per_s={total / seconds:F0} batch={batch} writers={writers} commit_p50_ms={Percentiles.Of(all, 0.50):F1} commit_p99_ms={Percentiles.Of(all, 0.99):F1}"));

        await ScratchTable.DropAsync(dataSource);
        return 0;
    }
}
