using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Testing;

/// <summary>
/// Signatures as the senders make them, written from their documentation (docs/providers.md) with the framework's
/// cryptography and never with the ingress's own checking code, so a test signs what a real sender would send.
/// </summary>
public static class SenderSignatures
{
    /// <summary>
    /// Standard Webhooks v1: <c>v1,base64(HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}"))</c>, the secret
    /// given as <c>whsec_</c> and base64.
    /// </summary>
    public static string StandardV1(string secret, string messageId, long timestamp, byte[] body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.").Concat(body).ToArray();
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>The three headers of one Standard Webhooks attempt signed at <paramref name="at"/>.</summary>
    public static (string Name, string Value)[] StandardHeaders(string secret, string messageId, DateTimeOffset at, byte[] body) =>
    [
        ("webhook-id", messageId),
        ("webhook-timestamp", at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ("webhook-signature", StandardV1(secret, messageId, at.ToUnixTimeSeconds(), body)),
    ];

    /// <summary>
    /// The lower-case hex HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes: Asana's <c>X-Hook-Signature</c>,
    /// Smartsheet's <c>Smartsheet-Hmac-SHA256</c>, and GitHub's after <c>sha256=</c>.
    /// </summary>
    public static string HexHmacSha256(string secret, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Trello's <c>X-Trello-Webhook</c>: base64 HMAC-SHA1 of the body followed by the callback URL exactly as registered.</summary>
    public static string Trello(string secret, byte[] body, string callbackUrl) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body.Concat(Encoding.UTF8.GetBytes(callbackUrl)).ToArray()));
}
