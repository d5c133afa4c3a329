using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Persistence;

/// <summary>
/// An identifier shortened to fit its column without two of them becoming one: a sender's delivery id, a ledger key, a
/// comment id. Cutting would make ids that differ only past the column's length equal, and the later one a "retry" or a
/// "duplicate" of the earlier.
/// </summary>
public static class UniqueText
{
    /// <summary>
    /// The text itself when it fits <paramref name="maxLength"/> characters, else a prefix plus <c>#</c> and the SHA-256 of
    /// the whole, never cut between the two halves of a surrogate pair (PostgreSQL could not store half of one).
    /// </summary>
    public static string Fit(string text, int maxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var prefix = maxLength - hash.Length - 1;
        if (char.IsHighSurrogate(text[prefix - 1]))
        {
            prefix--;
        }
        return $"{text[..prefix]}#{hash}";
    }
}
