using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Webhooks.Bench.Tests;

/// <summary>
/// The webhook path of the ingress as the load tool sees it, on a loopback port: it counts what arrives, can hold every
/// request that arrives during one window (a stall), and answers with the status the test chooses.
/// </summary>
public sealed class StubWebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _identifiers = new(StringComparer.Ordinal);
    private readonly Func<long, int> _status;
    private readonly long _stallAt;
    private readonly TimeSpan _stall;
    private TaskCompletionSource? _gate;
    private long _received;
    private int _inFlight;
    private int _mostInFlight;

    private StubWebhookServer(WebApplication app, Func<long, int> status, long stallAt, TimeSpan stall)
    {
        _app = app;
        _status = status;
        _stallAt = stallAt;
        _stall = stall;
    }

    public string BaseUrl { get; private set; } = "";

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Distinct X-Atlassian-Webhook-Identifier values seen (the bench needs every request to be a new delivery).</summary>
    public int DistinctIdentifiers => _identifiers.Count;

    public int MostInFlight => Volatile.Read(ref _mostInFlight);

    /// <param name="status">The status for the n-th request (1-based); 200 when not given.</param>
    /// <param name="stallAt">The n-th request opens a stall: it and every request arriving within <paramref name="stall"/> are held until it ends.</param>
    public static async Task<StubWebhookServer> StartAsync(Func<long, int>? status = null, long stallAt = 0, TimeSpan stall = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new StubWebhookServer(app, status ?? (_ => StatusCodes.Status200OK), stallAt, stall);
        app.MapPost("/api/v1/webhooks/{token}", server.ReceiveAsync);
        await app.StartAsync();
        server.BaseUrl = app.Urls.First();
        return server;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var n = Interlocked.Increment(ref _received);
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            int most;
            while (inFlight > (most = Volatile.Read(ref _mostInFlight)) && Interlocked.CompareExchange(ref _mostInFlight, inFlight, most) != most)
            {
            }
            _identifiers.TryAdd(context.Request.Headers["X-Atlassian-Webhook-Identifier"].ToString(), 0);
            await context.Request.Body.CopyToAsync(Stream.Null);
            if (n == _stallAt)
            {
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _gate, gate);
                _ = Task.Delay(_stall).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
            if (Volatile.Read(ref _gate) is { } open)
            {
                await open.Task;
            }
            context.Response.StatusCode = _status(n);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
