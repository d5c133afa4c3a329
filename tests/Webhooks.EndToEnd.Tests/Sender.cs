using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Webhooks.EndToEnd.Tests;

/// <summary>What a sender does: POST its raw body, with its content type and headers, to the callback URL.</summary>
public static class Sender
{
    public static async Task<(HttpStatusCode Status, string? ContentType, string Text)> PostAsync(
        HttpClient client, string path, byte[] body, string contentType, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts a JSON sender's webhook, expects the ingress's 200 and returns the delivery id it names.</summary>
    public static async Task<Guid> PostJsonAsync(HttpClient client, string path, byte[] body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var (status, _, text) = await PostAsync(client, path, body, "application/json", headers);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        using var answer = JsonDocument.Parse(text);
        return answer.RootElement.GetProperty("deliveryId").GetGuid();
    }
}
