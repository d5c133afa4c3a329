using System.Text;
using Webhooks.Persistence;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// Text copied from a request into a text column: whatever a sender puts in a header, the value must fit its column
/// and be text PostgreSQL accepts, or the group commit it shares with other requests fails. NUL (which PostgreSQL text
/// cannot hold) is dropped, a lone surrogate (which no encoder accepts) becomes U+FFFD, and the value is cut to at most
/// <c>maxLength</c> characters without splitting a surrogate pair.
/// </summary>
public static class StoredText
{
    public static string? Bound(string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }
        if (value.Length <= maxLength && IsStorable(value))
        {
            return value;
        }
        var bounded = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (var rune in value.EnumerateRunes())
        {
            // EnumerateRunes already turns a lone surrogate into U+FFFD.
            if (rune.Value == 0)
            {
                continue;
            }
            if (bounded.Length + rune.Utf16SequenceLength > maxLength)
            {
                break;
            }
            bounded.Append(rune.ToString());
        }
        return bounded.ToString();
    }

    /// <summary>
    /// An identifier (a sender's delivery id, a header a parser keys on) made storable the same way, then shortened to fit
    /// without two becoming one (<see cref="UniqueText"/>): a cut would make a later delivery whose id differs only past
    /// the column's length look like a retry of the earlier one.
    /// </summary>
    public static string? Identifier(string? value, int maxLength) =>
        value is null ? null : UniqueText.Fit(Bound(value, int.MaxValue)!, maxLength);

    private static bool IsStorable(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }
        return true;
    }
}
