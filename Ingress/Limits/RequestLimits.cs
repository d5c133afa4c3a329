using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Limits;

/// <summary>
/// What protects the public listener from hostile or careless clients: Kestrel's connection and header limits
/// (<see cref="ConnectionLimitsOptions"/>), a per-integration rate limit on the webhook endpoint
/// (<see cref="RateLimitOptions"/>), and log filters that keep the token in the request path out of the logs.
/// Only the webhook endpoint is rate limited; the admin API and the health endpoints never are.
/// </summary>
public static partial class RequestLimits
{
    /// <summary>
    /// The webhook endpoint's rate-limit policy. It is attached to the endpoint, so it applies to whatever path routing
    /// matched to it (a trailing slash, another case), and reads the token from the route, never from the raw path.
    /// </summary>
    public const string WebhookRateLimit = "webhook";

    /// <summary>
    /// Hosting's request log and its <c>RequestPath</c> scope (which every log line of a request inherits, in any
    /// provider that writes scopes) carry the raw path: that category is silenced entirely. Traces keep the request id.
    /// </summary>
    internal const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>Framework categories that write the raw request path (and so the token) at Information or Debug.</summary>
    internal static readonly string[] PathLoggingCategories =
    [
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Http.Result",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConnectionLimitsOptions>()
            .BindConfiguration(ConnectionLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ConnectionLimitsOptions>>((kestrel, configured) =>
        {
            var limits = configured.Value;
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConcurrentConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        });

        builder.Services.AddSingleton<BodyBudget>();
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            options.AddPolicy<Guid>(WebhookRateLimit, PartitionOf);
        });

        // The token is the credential and it is in the path: keep the framework's path-echoing messages out of the log
        // (an operator can still turn a category up explicitly). Our own messages name the integration id instead.
        builder.Logging.AddFilter(HostingCategory, LogLevel.None);
        foreach (var category in PathLoggingCategories)
        {
            builder.Logging.AddFilter(category, level => level >= LogLevel.Warning);
        }
        return builder;
    }

    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// One token bucket per integration, found from the route's token in memory (so neither the token nor its hash is
    /// kept, and a rotation keeps the bucket). Unknown and malformed tokens are not limited here: they are answered 410
    /// from memory, which costs no more than a 429 would.
    /// </summary>
    private static RateLimitPartition<Guid> PartitionOf(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        if (options.PermitsPerSecond == 0 || context.GetRouteValue("token") is not string token)
        {
            return RateLimitPartition.GetNoLimiter(Guid.Empty);
        }
        var integration = context.RequestServices.GetRequiredService<IntegrationsByToken>().FindFor(context, token);
        if (integration is null)
        {
            return RateLimitPartition.GetNoLimiter(Guid.Empty);
        }
        return RateLimitPartition.GetTokenBucketLimiter(integration.Id, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(options.Burst, 1),
            TokensPerPeriod = options.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var response = rejected.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/json";
        Log.RateLimited(rejected.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestLimits).FullName!), seconds);
        await response.WriteAsync(
            $$"""{"error":"rate_limited","detail":"Too many requests for this integration; retry after {{seconds}} s."}""", cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1501, LogLevel.Debug, "Rate limited a webhook; told the sender to retry after {Seconds} s")]
        public static partial void RateLimited(ILogger logger, int seconds);
    }
}
