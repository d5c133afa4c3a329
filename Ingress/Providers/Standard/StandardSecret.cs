using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Ingress.Providers.Standard;

/// <summary>
/// A Standard Webhooks symmetric signing secret as senders hand it over: <c>whsec_</c> followed by the base64 of 24 to
/// 64 random bytes (the specification's bounds, 192 to 512 bits). The HMAC key is the decoded bytes, never the text.
/// </summary>
public static class StandardSecret
{
    public const string Prefix = "whsec_";
    public const int MinKeyBytes = 24;
    public const int MaxKeyBytes = 64;

    /// <summary>Why a text is not such a secret (never quoting it), or null when it is one.</summary>
    public static string? Problem(string? secret)
    {
        if (TryDecode(secret, out var key))
        {
            Array.Clear(key);
            return null;
        }
        return secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal)
            ? $"A standard integration's signingSecret is the sender's secret as it shows it: {Prefix} followed by base64."
            : $"The part after {Prefix} must be standard base64 (A-Z, a-z, 0-9, +, /, padded with =) of {MinKeyBytes} to {MaxKeyBytes} bytes.";
    }

    /// <summary>The HMAC key of a well-formed secret. The caller clears it after use.</summary>
    public static bool TryDecode(string? secret, [NotNullWhen(true)] out byte[]? key)
    {
        key = null;
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var encoded = secret.AsSpan(Prefix.Length);
        // Convert skips whitespace inside base64; a secret with any is a copy-and-paste accident, not the sender's.
        if (encoded.Length is 0 or > (MaxKeyBytes + 2) / 3 * 4 || encoded.Length % 4 != 0 || encoded.ContainsAnyExcept(Base64Characters))
        {
            return false;
        }
        var buffer = new byte[encoded.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written is < MinKeyBytes or > MaxKeyBytes)
        {
            Array.Clear(buffer);
            return false;
        }
        key = buffer[..written];
        Array.Clear(buffer);
        return true;
    }

    private static readonly System.Buffers.SearchValues<char> Base64Characters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
}
