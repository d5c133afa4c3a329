using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Webhooks.Ingress.Providers.Standard;

/// <summary>
/// The Standard Webhooks symmetric signature (standardwebhooks.com, spec 1.0): <c>webhook-signature</c> holds one or
/// more space-separated <c>v1,&lt;base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")&gt;</c>; any
/// one that matches verifies, other version tags (<c>v1a</c>, an asymmetric signature) are skipped. The timestamp
/// (Unix seconds) must be within <see cref="Tolerance"/> of the receiver's clock either way, so a captured delivery
/// cannot be replayed later.
/// </summary>
public static class StandardSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The specification's recommended tolerance, which its reference libraries use.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static SignatureCheck Check(IHeaderDictionary headers, ReadOnlySpan<byte> body, string? secret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return SignatureCheck.NoSecret;
        }
        var id = headers[IdHeader];
        var timestamp = headers[TimestampHeader];
        var signatures = headers[SignatureHeader];
        if (IsMissing(id) || IsMissing(timestamp) || IsMissing(signatures))
        {
            return SignatureCheck.NotSigned;
        }
        // Sent twice, a header's value is ambiguous (which one was signed?): neither verifies.
        if (id.Count > 1 || timestamp.Count > 1 || signatures.Count > 1)
        {
            return SignatureCheck.Mismatch;
        }
        if (!TryReadTimestamp(timestamp[0]!, out var seconds))
        {
            return SignatureCheck.Mismatch;
        }
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)Tolerance.TotalSeconds)
        {
            return SignatureCheck.TimestampOutsideTolerance;
        }
        if (!StandardSecret.TryDecode(secret, out var key))
        {
            // Only a well-formed secret is ever stored for a standard integration; anything else verifies nothing.
            return SignatureCheck.Mismatch;
        }

        byte[] expected;
        try
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            // The libraries sign the timestamp as the integer they read, so a zero-padded header signs without its zeros.
            hmac.AppendData(Encoding.UTF8.GetBytes($"{id[0]}.{seconds.ToString(CultureInfo.InvariantCulture)}."));
            hmac.AppendData(body);
            expected = hmac.GetHashAndReset();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        var valid = false;
        foreach (var entry in signatures[0]!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = entry.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0 && entry.AsSpan(0, comma).SequenceEqual("v1"))
            {
                // Every v1 entry is compared, each in constant time: when a match comes first tells nothing.
                valid |= Hmac.FixedTimeEqualsBase64(entry[(comma + 1)..], expected);
            }
        }
        return valid ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>An integer number of seconds, digits only (no sign, no spaces), as the specification defines the header.</summary>
    private static bool TryReadTimestamp(string text, out long seconds) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) && text.Length <= 15;

    private static bool IsMissing(StringValues values) => values.Count == 0 || values.All(string.IsNullOrWhiteSpace);
}
