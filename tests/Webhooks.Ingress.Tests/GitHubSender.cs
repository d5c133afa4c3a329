using System.Net;
using System.Net.Http.Headers;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests;

/// <summary>Requests shaped the way GitHub sends them (providers.md): <c>X-GitHub-Event</c> and <c>X-Hub-Signature-256</c>.</summary>
public static class GitHubSender
{
    /// <summary><c>sha256=</c> and the hex HMAC-SHA256 of the raw body, keyed with the webhook's secret.</summary>
    public static string Signature(byte[] body, string secret) =>
        "sha256=" + SenderSignatures.HexHmacSha256(secret, body);

    /// <summary>An <c>issues</c> event with <paramref name="body"/>, signed with <paramref name="secret"/>.</summary>
    public static HttpRequestMessage Signed(string path, string secret, byte[] body) => WithSignature(path, Signature(body, secret), body);

    /// <summary>The same request carrying <paramref name="signature"/> as given: a wrong one, to be refused.</summary>
    public static HttpRequestMessage WithSignature(string path, string signature, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-GitHub-Event", "issues");
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        return request;
    }

    /// <summary>The recorded opened issue, signed with <paramref name="secret"/>; the answer's status.</summary>
    public static async Task<HttpStatusCode> PostSignedAsync(HttpClient client, string path, string secret)
    {
        using var request = Signed(path, secret, PayloadFixtures.Read(Provider.GitHub, "issues.opened.json"));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
