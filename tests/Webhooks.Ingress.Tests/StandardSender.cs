using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests;

/// <summary>
/// A sender that signs as the Standard Webhooks specification says (written here from the specification, not from the
/// ingress's code): <c>v1,base64(HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}"))</c>.
/// </summary>
public static class StandardSender
{
    /// <summary>The reference libraries' test vector (fixtures SOURCES.md): it verifies at its own timestamp.</summary>
    public const string ReferenceSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// <summary>OpenAI's SDK test vector (fixtures SOURCES.md).</summary>
    public const string OpenAiSecret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=";

    /// <summary>A fresh secret in the form senders show it: 32 random bytes.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string id, long timestamp, byte[] body) => SenderSignatures.StandardV1(secret, id, timestamp, body);

    /// <summary>The three headers of one signed attempt.</summary>
    public static (string Name, string Value)[] Headers(string secret, string id, DateTimeOffset at, byte[] body) =>
        SenderSignatures.StandardHeaders(secret, id, at, body);

    /// <summary>The headers recorded with a fixture (<c>&lt;name&gt;.headers.json</c>); a fixture without them is a broken test.</summary>
    public static (string Name, string Value)[] RecordedHeaders(string fixture)
    {
        var recorded = PayloadFixtures.RecordedHeaders(Provider.Standard, fixture);
        return recorded.Count > 0
            ? [.. recorded.Select(h => (h.Key, h.Value))]
            : throw new FileNotFoundException($"The Standard Webhooks fixture {fixture} has no recorded headers (<name>.headers.json).");
    }

    /// <summary>POSTs the body with these headers as a sender does; the answer's status and text.</summary>
    public static async Task<(HttpStatusCode Status, string Text)> PostAsync(HttpClient client, string path, byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd("Svix-Webhooks/1.24");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
