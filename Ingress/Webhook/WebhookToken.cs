using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Ingress.Webhook;

/// <summary>Tokens are 128-bit random, lower-case hex; only their SHA-256 is ever stored.</summary>
public static class WebhookToken
{
    public const int Length = 32;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Upper-case hex characters of a token's hash, as the ingress's directory keys integrations.</summary>
    public const int HashHexLength = 2 * SHA256.HashSizeInBytes;

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>What is stored of a well-formed token: the SHA-256 of its lower-case form.</summary>
    public static byte[] Hash(string token)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        return hash;
    }

    /// <summary>
    /// The same hash in upper-case hex, as the ingress's directory keys integrations, written without allocating: every
    /// webhook request is looked up by it.
    /// </summary>
    public static void HashHex(string token, Span<char> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        Convert.TryToHexString(hash, destination, out _);
    }

    /// <summary>Only a well-formed token has a hash: anything else would hash a partly filled buffer, so it throws.</summary>
    private static void Hash(string token, Span<byte> destination)
    {
        Span<byte> lowered = stackalloc byte[Length];
        if (Ascii.ToLower(token, lowered, out var written) != OperationStatus.Done || written != Length)
        {
            throw new ArgumentException($"A webhook token is {Length} ASCII characters.", nameof(token));
        }
        SHA256.HashData(lowered, destination);
    }

    /// <summary>Cheap shape check before any lookup: 32 hex characters.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && !token.AsSpan().ContainsAnyExcept(HexDigits);

    public static string CallbackUrl(string publicBaseUrl, string token) => $"{publicBaseUrl.TrimEnd('/')}/api/v1/webhooks/{token}";
}
