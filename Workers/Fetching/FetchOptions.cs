using System.ComponentModel.DataAnnotations;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// Section <c>Fetching</c>: how the workers call the senders' APIs (Asana, Smartsheet) for what their events leave out.
/// Environment form: <c>Fetching__AttemptTimeout=00:00:10</c>. Fetches run before a delivery's transaction opens, never
/// while it holds locks; the message waits for them, so keep attempts × timeout well inside the message's own retry budget.
/// Which API base URLs may be called at all is <c>Fetching:AllowedBaseUrls</c> (<see cref="Persistence.Fetching.ApiBaseUrlOptions"/>).
/// </summary>
public sealed class FetchOptions
{
    public const string SectionName = "Fetching";

    /// <summary>One HTTP attempt; past it the attempt counts as failed and is retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:02:00", ErrorMessage = "Fetching:AttemptTimeout must be between {1} and {2}.")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt on 408, 429, 5xx, connection failures and timeouts.</summary>
    [Range(0, 10, ErrorMessage = "Fetching:RetryCount must be between {1} and {2}.")]
    public int RetryCount { get; set; } = 3;

    /// <summary>First backoff delay (exponential, with jitter) when the API gives no Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Fetching:RetryBaseDelay must be between {1} and {2}.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest Retry-After (of a 429, a 408 or a 5xx) waited in place. A longer one is not waited out while holding the message: the fetch
    /// fails (transient) and the delivery's own retry comes back later.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Fetching:MaxRetryAfter must be between {1} and {2}.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Calls to one integration's API at once, per worker process (the senders rate-limit per token: Asana 150/min on a
    /// free plan, Smartsheet 300/min). The rest wait their turn; other integrations are not held up.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Fetching:MaxConcurrentPerIntegration must be between {1} and {2}.")]
    public int MaxConcurrentPerIntegration { get; set; } = 4;
}
