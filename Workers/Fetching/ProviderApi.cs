using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// GETs JSON from a sender's REST API through the named <see cref="HttpClientName"/> client: a timeout per attempt,
/// exponential backoff with jitter on 408/429/5xx/connection failures/timeouts, and a 429's <c>Retry-After</c> waited
/// out (up to <see cref="FetchOptions.MaxRetryAfter"/>). Redirects are never followed and answers are read up to
/// <see cref="MaxResponseBytes"/>: the base URL is a setting, and the workers must not become a way to reach, or read,
/// anything else. At most <see cref="FetchOptions.MaxConcurrentPerIntegration"/> calls per integration run at once.
/// The bearer token goes in the Authorization header only: it is never part of a URL, a log line or an exception message.
/// </summary>
public sealed partial class ProviderApi(IHttpClientFactory clients, IOptions<FetchOptions> options, ILogger<ProviderApi> logger)
{
    public const string HttpClientName = "provider-api";

    /// <summary>The largest answer read; a bigger one fails the fetch for good, without being read to its end.</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    private readonly FetchOptions _options = options.Value;
    private readonly ResiliencePipeline<Answer> _pipeline = BuildPipeline(options.Value);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _perIntegration = new();

    /// <summary>The handler behind <see cref="HttpClientName"/>: no redirects, no cookies, bounded headers.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        MaxResponseHeadersLength = 64,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>
    /// A session for one batch of deliveries of <paramref name="integrationId"/>: same base URL and token, each item read
    /// once however many events name it.
    /// </summary>
    public ProviderApiSession OpenSession(string provider, Guid integrationId, Uri baseUrl, string token) =>
        new(this, provider, integrationId, baseUrl, token);

    /// <summary>The integration's share of the API: waits while <see cref="FetchOptions.MaxConcurrentPerIntegration"/> calls run.</summary>
    internal SemaphoreSlim LimitOf(Guid integrationId) =>
        _perIntegration.GetOrAdd(integrationId, _ => new SemaphoreSlim(_options.MaxConcurrentPerIntegration, _options.MaxConcurrentPerIntegration));

    /// <summary>The parsed body; null on 404. Throws <see cref="ItemFetchException"/> for anything else that is not a 2xx JSON answer.</summary>
    internal async Task<JsonElement?> GetJsonAsync(string provider, Guid integrationId, Uri url, string token, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(HttpClientName);
        // The path only: the host and port of a base URL stay out of what is recorded on the delivery.
        var what = $"{provider} API GET {url.AbsolutePath}";
        Answer answer;
        try
        {
            answer = await _pipeline.ExecuteAsync(async attemptToken =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptToken);
                // Read inside the attempt, so its timeout also bounds a body that trickles in.
                return await Answer.ReadAsync(response, attemptToken);
            }, cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            Log.Failed(logger, integrationId, provider, url.Host, url.AbsolutePath, "every attempt timed out");
            throw new ItemFetchException($"{what} timed out after {_options.RetryCount + 1} attempts of {_options.AttemptTimeout.TotalSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            // What the socket layer says (addresses, ports, resolver errors) goes to the log, never onto the delivery.
            Log.Failed(logger, integrationId, provider, url.Host, url.AbsolutePath, e.Message);
            return e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError
                // Still refused after the retries: the official APIs sit behind CDNs that answer 5xx when down, so this is
                // a base URL that leads nowhere rather than an outage, and retrying the message would only repeat it.
                ? throw new ItemFetchException($"Could not connect to the {provider} API ({what}) after {_options.RetryCount + 1} attempts.", permanent: true)
                : throw new ItemFetchException($"The connection to the {provider} API broke ({what}) after {_options.RetryCount + 1} attempts.");
        }
        catch (IOException e)
        {
            // The connection dropped while the answer was being read (HttpIOException and the socket errors under it).
            Log.Failed(logger, integrationId, provider, url.Host, url.AbsolutePath, e.Message);
            throw new ItemFetchException($"The connection to the {provider} API broke ({what}) after {_options.RetryCount + 1} attempts.");
        }

        var status = (int)answer.Status;
        switch (answer)
        {
            case { Status: HttpStatusCode.NotFound }:
                return null;
            case { TooLarge: true }:
                Log.Failed(logger, integrationId, provider, url.Host, url.AbsolutePath, $"answer over {MaxResponseBytes} bytes");
                throw new ItemFetchException($"{what} answered more than {MaxResponseBytes / 1024 / 1024} MiB; not read.", permanent: true);
            case { Body: { } body }:
                try
                {
                    using var document = JsonDocument.Parse(body);
                    return document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new ItemFetchException($"{what} answered {status} with a body that is not JSON.", permanent: true);
                }
            case { Status: >= HttpStatusCode.Ambiguous and < HttpStatusCode.BadRequest }:
                Log.Failed(logger, integrationId, provider, url.Host, url.AbsolutePath, $"redirect {status} not followed");
                throw new ItemFetchException($"{what} answered {status}, a redirect; redirects are not followed (check settings.apiBaseUrl).", permanent: true);
            case { Status: HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout } or { Status: >= HttpStatusCode.InternalServerError }:
                var retryAfter = answer.RetryAfter is { } wait ? $" (Retry-After {wait.TotalSeconds} s)" : "";
                throw new ItemFetchException($"{what} answered {status}{retryAfter}.");
            default:
                // 401, 403 and the other 4xx: the token or the request is wrong, and the same request will get the same answer.
                throw new ItemFetchException($"{what} answered {status}.", permanent: true);
        }
    }

    private static ResiliencePipeline<Answer> BuildPipeline(FetchOptions options)
    {
        var pipeline = new ResiliencePipelineBuilder<Answer>();
        // Polly refuses a retry strategy of zero attempts: Fetching:RetryCount=0 means no strategy at all.
        if (options.RetryCount > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions<Answer>
            {
                MaxRetryAttempts = options.RetryCount,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldHandle = new PredicateBuilder<Answer>()
                    .Handle<HttpRequestException>()
                    .Handle<IOException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(answer => IsRetryable(answer, options.MaxRetryAfter)),
                // A Retry-After wins over the backoff; null lets Polly compute the exponential delay.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
            });
        }
        return pipeline.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>
    /// A 429, a 408 or a 5xx, unless its Retry-After is longer than <paramref name="maxRetryAfter"/>: a 503 with an hour's
    /// Retry-After waited out in place held the integration's API slot, and the message, for hours.
    /// </summary>
    private static bool IsRetryable(Answer answer, TimeSpan maxRetryAfter) =>
        (answer.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)answer.Status >= 500)
        && (answer.RetryAfter is not { } wait || wait <= maxRetryAfter);

    /// <summary>One attempt's answer: its status, a Retry-After, and the body of a 2xx (null when over the limit).</summary>
    private sealed record Answer(HttpStatusCode Status, TimeSpan? RetryAfter, byte[]? Body, bool TooLarge)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var retryAfter = RetryAfterOf(response);
            if (!response.IsSuccessStatusCode)
            {
                return new Answer(response.StatusCode, retryAfter, null, false);
            }
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                return new Answer(response.StatusCode, retryAfter, null, true);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = ArrayPool<byte>.Shared.Rent(MaxResponseBytes + 1);
            try
            {
                var length = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(length, MaxResponseBytes + 1 - length), cancellationToken)) > 0)
                {
                    length += read;
                    if (length > MaxResponseBytes)
                    {
                        // Stop here: disposing the response drops the connection instead of draining the rest.
                        return new Answer(response.StatusCode, retryAfter, null, true);
                    }
                }
                return new Answer(response.StatusCode, retryAfter, buffer.AsSpan(0, length).ToArray(), false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
        {
            if (response.Headers.RetryAfter is not { } header)
            {
                return null;
            }
            if (header.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }
            if (header.Date is { } date)
            {
                var wait = date - DateTimeOffset.UtcNow;
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
            Message = "Integration {IntegrationId}: {Provider} API at {Host} GET {Path} failed: {Detail}")]
        public static partial void Failed(ILogger logger, Guid integrationId, string provider, string host, string path, string detail);
    }
}
