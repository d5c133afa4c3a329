using System.Security.Cryptography;

namespace Webhooks.Ingress.Webhook;

/// <summary>Tokens are 128-bit random, lower-case hex; only their SHA-256 is ever stored.</summary>
public static class WebhookToken
{
    public const int Length = 32;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));

    /// <summary>Cheap shape check before any lookup: 32 hex characters.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && token.All(char.IsAsciiHexDigit);

    public static string CallbackUrl(string publicBaseUrl, string token) => $"{publicBaseUrl.TrimEnd('/')}/api/v1/webhooks/{token}";
}
