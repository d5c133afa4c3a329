using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Limits;

/// <summary>
/// Connection and request limits of the public listener, section <c>Ingress:Limits</c> (environment:
/// <c>Ingress__Limits__RequestHeadersTimeout</c> …). Checked at start. They bound what one client can hold:
/// a slowloris that trickles headers or a body is disconnected, and the number of open connections is capped.
/// </summary>
public sealed class ConnectionLimitsOptions
{
    public const string SectionName = "Ingress:Limits";

    /// <summary>The whole request line and headers must arrive within this, or the connection is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An idle keep-alive connection is closed after this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A body arriving slower than this (after the grace period) is cut off with 408.</summary>
    [Range(1, 10 * 1024 * 1024)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Kestrel needs more than one second here.</summary>
    [Range(typeof(TimeSpan), "00:00:01.001", "00:05:00")]
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Open connections above this are refused by Kestrel; null for no cap.</summary>
    [Range(1, 1_000_000)]
    public long? MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>Request headers larger than this in total are answered 431.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    [Range(1, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// Webhook body bytes all requests in progress may hold at once, counted as they are read (never as declared);
    /// past it a request is answered 503 with Retry-After and nothing is stored. Keep it well under the memory limit.
    /// </summary>
    [Range(64 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxBodyBytesInFlight { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// A webhook's body must have arrived whole this long after its headers did, however steadily it trickles;
    /// otherwise the request is answered 408 and nothing is stored.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How much of a refused request's body (a wrong or missing signature, another organization) the delivery log keeps:
    /// enough to see what was sent, while whoever knows a URL but not its secret cannot fill the database at the
    /// largest body size; the log's error says how much was left out.
    /// </summary>
    [Range(0, 5 * 1024 * 1024)]
    public int MaxRejectedBodyBytes { get; set; } = 16 * 1024;
}

/// <summary>
/// Per-integration rate limit of the webhook endpoint, section <c>Ingress:RateLimit</c>. A token bucket per integration:
/// <see cref="PermitsPerSecond"/> sustained, up to <see cref="Burst"/> at once. Default generous; 0 turns it off.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Ingress:RateLimit";

    [Range(0, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 500;

    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 1000;
}
