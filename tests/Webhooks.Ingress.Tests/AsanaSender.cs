using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests;

/// <summary>Requests shaped the way Asana sends them (providers.md §4; fixtures SOURCES.md).</summary>
public static class AsanaSender
{
    /// <summary>The secret of the recorded handshake; <see cref="RecordedSignature"/> is the recorded delivery's signature with it.</summary>
    public static readonly string RecordedSecret = JsonSerializer.Deserialize<Dictionary<string, string>>(
        PayloadFixtures.ReadText(Provider.Asana, "handshake.headers.json"))!["x-hook-secret"];

    public static readonly string RecordedSignature = JsonSerializer.Deserialize<Dictionary<string, string>>(
        PayloadFixtures.ReadText(Provider.Asana, "task_changed.completed.headers.json"))!["x-hook-signature"];

    /// <summary>A webhook's handshake: a POST to the target with <c>X-Hook-Secret</c> and no events, as recorded.</summary>
    public static async Task<HttpResponseMessage> HandshakeAsync(HttpClient client, string path, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = HandshakeBody() };
        request.Headers.Add("X-Hook-Secret", secret);
        return await client.SendAsync(request);
    }

    public static StringContent HandshakeBody() => new("""{"events":[]}""", Encoding.UTF8, "application/json");

    /// <summary>The recorded delivery with its recorded signature (made with <see cref="RecordedSecret"/>).</summary>
    public static Task<HttpStatusCode> PostRecordedDeliveryAsync(HttpClient client, string path) =>
        PostAsync(client, path, PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json"), RecordedSignature);

    /// <summary>An event signed as Asana signs: hex HMAC-SHA256 of the raw body, keyed with the webhook's handshake secret.</summary>
    public static Task<HttpStatusCode> PostSignedAsync(HttpClient client, string path, string secret)
    {
        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.json");
        return PostAsync(client, path, body, SenderSignatures.HexHmacSha256(secret, body));
    }

    /// <summary>What the admin API lists a secret by: the first 12 hex digits of its SHA-256.</summary>
    public static string Fingerprint(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12];

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string path, byte[] body, string signature)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-Hook-Signature", signature);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
