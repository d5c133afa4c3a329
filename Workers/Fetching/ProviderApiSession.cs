using System.Text.Json;

namespace Webhooks.Workers.Fetching;

/// <summary>One delivery's use of a sender's API: its base URL and token, and a cache so an item is read once.</summary>
public sealed class ProviderApiSession
{
    private readonly ProviderApi _api;
    private readonly string _provider;
    private readonly Uri _baseUrl;
    private readonly string _token;
    private readonly Dictionary<string, JsonElement?> _read = new(StringComparer.Ordinal);

    internal ProviderApiSession(ProviderApi api, string provider, Uri baseUrl, string token)
    {
        _api = api;
        _provider = provider;
        // "https://app.asana.com/api/1.0" + "tasks/1" must keep "/api/1.0": the base needs its trailing slash.
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _token = token;
    }

    /// <summary>GET <paramref name="relativePath"/> (no leading slash) under the base URL; null when the item is gone (404).</summary>
    public async Task<JsonElement?> GetAsync(string relativePath, CancellationToken cancellationToken)
    {
        if (_read.TryGetValue(relativePath, out var cached))
        {
            return cached;
        }
        var value = await _api.GetJsonAsync(_provider, new Uri(_baseUrl, relativePath), _token, cancellationToken);
        _read[relativePath] = value;
        return value;
    }
}
