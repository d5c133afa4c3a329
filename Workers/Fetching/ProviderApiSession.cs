using System.Collections.Concurrent;
using System.Text.Json;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// One batch's use of an integration's API: its base URL and token, and each item read once however many of the batch's
/// events name it (concurrent readers of one item share its call). Only within one batch: every delivery of it was
/// received before the call started, so the answer is at least as new as all of them; sharing a call with a delivery
/// received later could hand it a state older than its own event.
/// </summary>
public sealed class ProviderApiSession
{
    private readonly ProviderApi _api;
    private readonly string _provider;
    private readonly Guid _integrationId;
    private readonly Uri _baseUrl;
    private readonly string _token;
    private readonly SemaphoreSlim _limit;
    private readonly ConcurrentDictionary<string, Lazy<Task<JsonElement?>>> _read = new(StringComparer.Ordinal);

    internal ProviderApiSession(ProviderApi api, string provider, Guid integrationId, Uri baseUrl, string token)
    {
        _api = api;
        _provider = provider;
        _integrationId = integrationId;
        // "https://app.asana.com/api/1.0" + "tasks/1" must keep "/api/1.0": the base needs its trailing slash.
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _token = token;
        _limit = api.LimitOf(integrationId);
    }

    /// <summary>GET <paramref name="relativePath"/> (no leading slash) under the base URL; null when the item is gone (404).</summary>
    public Task<JsonElement?> GetAsync(string relativePath, CancellationToken cancellationToken) =>
        _read.GetOrAdd(relativePath, path => new Lazy<Task<JsonElement?>>(() => ReadAsync(path, cancellationToken))).Value;

    private async Task<JsonElement?> ReadAsync(string relativePath, CancellationToken cancellationToken)
    {
        var url = new Uri(_baseUrl, relativePath);
        // An item id is one escaped path segment, but "." and ".." survive escaping: resolved, they walk the path up, to
        // another of the API's resources or out of settings.apiBaseUrl, and the token would go there instead of the item.
        if (!url.AbsoluteUri.StartsWith(_baseUrl.AbsoluteUri, StringComparison.Ordinal)
            || relativePath.Split('?', 2)[0].Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ItemFetchException($"{_provider} API: an item id is not a path segment (\".\" or \"..\"); not called.", permanent: true);
        }
        await _limit.WaitAsync(cancellationToken);
        try
        {
            return await _api.GetJsonAsync(_provider, _integrationId, url, _token, cancellationToken);
        }
        finally
        {
            _limit.Release();
        }
    }
}
