using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Ingress.Providers;

/// <summary>HMAC over the raw body and constant-time comparison, shared by the senders that sign.</summary>
public static class Hmac
{
    public static byte[] Sha256(string secret, ReadOnlySpan<byte> body)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        try
        {
            return HMACSHA256.HashData(key, body);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Checks a hex signature (optionally after a <c>sha256=</c>-style prefix) against HMAC-SHA256 of the body.</summary>
    public static SignatureCheck CheckHexSha256(string? header, string? prefix, string? secret, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return SignatureCheck.NoSecret;
        }
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.NotSigned;
        }
        var value = header.Trim();
        if (prefix is not null)
        {
            if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return SignatureCheck.Mismatch;
            }
            value = value[prefix.Length..];
        }
        var expected = Sha256(secret, body);
        return FixedTimeEqualsHex(value, expected) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>Hex in either case; a value shorter than the digest is left-padded with zeros (Smartsheet's own sample drops them).</summary>
    public static bool FixedTimeEqualsHex(string hex, byte[] expected)
    {
        var digits = expected.Length * 2;
        if (hex.Length == 0 || hex.Length > digits)
        {
            return false;
        }
        var padded = hex.Length == digits ? hex : hex.PadLeft(digits, '0');
        var actual = new byte[expected.Length];
        if (Convert.FromHexString(padded, actual, out _, out var written) != System.Buffers.OperationStatus.Done || written != actual.Length)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public static bool FixedTimeEqualsBase64(string base64, byte[] expected)
    {
        var actual = new byte[expected.Length];
        return Convert.TryFromBase64String(base64.Trim(), actual, out var written)
            && written == expected.Length
            && CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
