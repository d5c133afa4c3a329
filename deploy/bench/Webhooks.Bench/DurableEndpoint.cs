using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Npgsql;

namespace Webhooks.Bench;

/// <summary>
/// The durable-write ceiling: the plain durable write path behind HTTP. A slim Kestrel app reads the body, hands the
/// row to a group commit shaped like the ingress's DeliveryWriter (N writers, each takes everything queued up to 512
/// rows, one binary COPY and commit per batch into the scratch table) and answers 200 only after that commit. No token
/// lookup, signature or relay: measured with the same wrk load as the ingress, the ratio between the two is what
/// the ingress's own work costs.
/// </summary>
public static class DurableEndpoint
{
    private const int MaxBatch = 512;

    public static async Task<int> RunAsync(string url, string connectionString, int writers)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ScratchTable.CreateAsync(dataSource);
        var commit = new GroupCommit(dataSource);
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(_ => commit.WriteBatchesAsync()));
        // One integration id per token, as the ingress stores them, so the (integration_id, …) indexes see the same spread.
        var integrations = new ConcurrentDictionary<string, Guid>(StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapGet("/ready", () => Results.Ok());
        app.MapPost("/{**path}", async context =>
        {
            var request = context.Request;
            var body = await ReadBodyAsync(request, context.RequestAborted);
            var path = request.Path.Value ?? "";
            var token = path[(path.LastIndexOf('/') + 1)..];
            var id = Guid.CreateVersion7();
            var source = request.Headers["X-Atlassian-Webhook-Identifier"].ToString();
            await commit.WriteAsync(new ScratchRow(id, integrations.GetOrAdd(token, _ => Guid.CreateVersion7()), DateTimeOffset.UtcNow, body,
                source.Length > 0 ? source : id.ToString("N")));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"status":"accepted"}""", context.RequestAborted);
        });
        await app.RunAsync();

        // Stopped (SIGTERM, Ctrl-C): Kestrel has drained its requests; let the writers finish, then leave no table behind.
        commit.Complete();
        await writing;
        Console.WriteLine(commit.Summary(writers));
        await ScratchTable.DropAsync(dataSource);
        return 0;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length)
        {
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }
        using var collected = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                collected.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return collected.ToArray();
    }

    private sealed class GroupCommit(NpgsqlDataSource dataSource)
    {
        private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(20_000)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
        private long _rows;
        private long _batches;

        public async Task WriteAsync(ScratchRow row)
        {
            var pending = new Pending(row, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await _queue.Writer.WriteAsync(pending);
            await pending.Committed.Task;
        }

        public void Complete() => _queue.Writer.TryComplete();

        public string Summary(int writers) => FormattableString.Invariant(
            $"DURABLE rows={_rows} batches={_batches} mean_batch={(_batches > 0 ? (double)_rows / _batches : 0):F1} writers={writers}");

        public async Task WriteBatchesAsync()
        {
            var batch = new List<Pending>(MaxBatch);
            var rows = new List<ScratchRow>(MaxBatch);
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync())
            {
                batch.Clear();
                rows.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                    rows.Add(pending.Row);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                try
                {
                    await ScratchTable.CopyAsync(dataSource, rows);
                    Interlocked.Add(ref _rows, batch.Count);
                    Interlocked.Increment(ref _batches);
                    foreach (var pending in batch)
                    {
                        pending.Committed.TrySetResult();
                    }
                }
                catch (Exception e)
                {
                    // The requests waiting on this batch fail (500): wrk counts them, so a broken ceiling cannot pass as one.
                    Console.Error.WriteLine($"a batch of {batch.Count} rows failed: {e.GetType().Name}: {e.Message}");
                    foreach (var pending in batch)
                    {
                        pending.Committed.TrySetException(e);
                    }
                }
            }
        }

        private sealed record Pending(ScratchRow Row, TaskCompletionSource Committed);
    }
}
