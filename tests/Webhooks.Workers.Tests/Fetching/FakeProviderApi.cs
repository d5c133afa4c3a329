using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Webhooks.Workers.Fetching;

namespace Webhooks.Workers.Tests.Fetching;

/// <summary>
/// A sender's REST API on loopback (a tiny Kestrel app): each path answers with its queued responses in turn, the last
/// one repeating; anything unplanned is 404. Every request is kept, with its Authorization header and arrival time.
/// WireMock.Net 1.25.0 restores here only with substituted dependency versions (NU1603 warnings, which this build
/// treats as errors), so the fake is our own.
/// </summary>
public sealed class FakeProviderApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, Task>>> _plans = new(StringComparer.Ordinal);

    private FakeProviderApi(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    public static async Task<FakeProviderApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeProviderApi(app);
        app.Run(fake.AnswerAsync);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First() + "/api/");
        return fake;
    }

    /// <summary>Plans the answers to <paramref name="path"/> (under the base URL, without the query): one per request, the last repeating.</summary>
    public FakeProviderApi On(string path, params Func<HttpContext, Task>[] answers)
    {
        _plans[path] = new ConcurrentQueue<Func<HttpContext, Task>>(answers);
        return this;
    }

    public int CountOf(string path) => Requests.Count(r => r.Path == path);

    public static Func<HttpContext, Task> Json(string json) => context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    };

    public static Func<HttpContext, Task> Status(int status, string? retryAfterSeconds = null) => context =>
    {
        context.Response.StatusCode = status;
        if (retryAfterSeconds is not null)
        {
            context.Response.Headers.RetryAfter = retryAfterSeconds;
        }
        return Task.CompletedTask;
    };

    /// <summary>A redirect to <paramref name="location"/>, which a client that followed it would call with the token.</summary>
    public static Func<HttpContext, Task> Redirect(string location, int status = StatusCodes.Status302Found) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    /// <summary>A 200 JSON body of <paramref name="bytes"/> bytes, with a Content-Length or (<paramref name="chunked"/>) without one.</summary>
    public static Func<HttpContext, Task> Big(int bytes, bool chunked = false) => async context =>
    {
        context.Response.ContentType = "application/json";
        if (!chunked)
        {
            context.Response.ContentLength = bytes;
        }
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        try
        {
            for (var sent = 0; sent < bytes; sent += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, bytes - sent)), context.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client stopped reading, as it should past its limit.
        }
    };

    /// <summary>Starts a 200 answer and drops the connection halfway through its body.</summary>
    public static Func<HttpContext, Task> Dropped() => async context =>
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = 1000;
        await context.Response.WriteAsync("{\"data\":{");
        await context.Response.Body.FlushAsync();
        context.Abort();
    };

    /// <summary>Runs <paramref name="during"/> while the request is held open, then answers <paramref name="json"/>.</summary>
    public static Func<HttpContext, Task> While(Func<Task> during, string json) => async context =>
    {
        await during();
        await Json(json)(context);
    };

    /// <summary>Answers only after <paramref name="delay"/> (or when the caller gives up).</summary>
    public static Func<HttpContext, Task> Slow(TimeSpan delay, string json) => async context =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Json(json)(context);
    };

    /// <summary>A <see cref="ProviderApi"/> with short timeouts and delays, as a test wants it.</summary>
    public static ProviderApi Client(TimeSpan? attemptTimeout = null, int retryCount = 3, TimeSpan? maxRetryAfter = null, int maxConcurrent = 4)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(ProviderApi.HttpClientName).ConfigurePrimaryHttpMessageHandler(ProviderApi.CreateHandler);
        var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        return new ProviderApi(factory, Options.Create(new FetchOptions
        {
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
            RetryCount = retryCount,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryAfter = maxRetryAfter ?? TimeSpan.FromSeconds(5),
            MaxConcurrentPerIntegration = maxConcurrent,
        }), NullLogger<ProviderApi>.Instance);
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var relative = context.Request.Path.Value is { } path && path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api/".Length..] : "";
        Requests.Enqueue(new FakeRequest(relative, context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization.ToString(), DateTimeOffset.UtcNow));
        if (!_plans.TryGetValue(relative, out var answers) || answers.IsEmpty)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var answer = answers.Count > 1 && answers.TryDequeue(out var next) ? next : answers.TryPeek(out var last) ? last : null;
        await (answer ?? Status(404))(context);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record FakeRequest(string Path, string Query, string Authorization, DateTimeOffset At);
