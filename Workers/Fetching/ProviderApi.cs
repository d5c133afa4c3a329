using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// GETs JSON from a sender's REST API through the named <see cref="HttpClientName"/> client: a timeout per attempt,
/// exponential backoff with jitter on 408/429/5xx/connection failures/timeouts, and a 429's <c>Retry-After</c> waited
/// out (up to <see cref="FetchOptions.MaxRetryAfter"/>). The bearer token goes in the Authorization header only: it is
/// never part of a URL, a log line or an exception message.
/// </summary>
public sealed class ProviderApi(IHttpClientFactory clients, IOptions<FetchOptions> options)
{
    public const string HttpClientName = "provider-api";

    private readonly FetchOptions _options = options.Value;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = BuildPipeline(options.Value);

    /// <summary>A session for one delivery: same base URL and token, and each item read once however many events name it.</summary>
    public ProviderApiSession OpenSession(string provider, Uri baseUrl, string token) => new(this, provider, baseUrl, token);

    /// <summary>The parsed body; null on 404. Throws <see cref="ItemFetchException"/> for anything else that is not 2xx after the retries.</summary>
    internal async Task<JsonElement?> GetJsonAsync(string provider, Uri url, string token, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(HttpClientName);
        var what = $"{provider} API GET {url.AbsolutePath}";
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(async attemptToken =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptToken);
            }, cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            throw new ItemFetchException($"{what} timed out after {_options.RetryCount + 1} attempts of {_options.AttemptTimeout.TotalSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            // The message names the host and the error, never a header; the token travels in a header only.
            throw new ItemFetchException($"{what} failed after {_options.RetryCount + 1} attempts: {e.Message}");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                var retryAfter = RetryAfter(response) is { } wait ? $" (Retry-After {wait.TotalSeconds} s)" : "";
                throw new ItemFetchException($"{what} answered {(int)response.StatusCode} {response.ReasonPhrase}{retryAfter}.");
            }
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
                return document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new ItemFetchException($"{what} answered 2xx with a body that is not JSON: {e.Message}");
            }
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(FetchOptions options) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(options.RetryCount, 0),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(response => IsRetryable(response, options.MaxRetryAfter)),
                // A 429's Retry-After wins over the backoff; null lets Polly compute the exponential delay.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response) : null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    private static bool IsRetryable(HttpResponseMessage response, TimeSpan maxRetryAfter) =>
        response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => RetryAfter(response) is not { } wait || wait <= maxRetryAfter,
            HttpStatusCode.RequestTimeout => true,
            _ => (int)response.StatusCode >= 500,
        };

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
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
