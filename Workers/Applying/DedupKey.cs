using System.Security.Cryptography;
using System.Text;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Applying;

/// <summary>
/// The ledger key of a change: the parser's source event identity, the same in every webhook's copy of the event.
/// Keys longer than the column are shortened to a prefix plus a SHA-256 of the whole key, so they stay unique.
/// </summary>
public static class DedupKey
{
    public const int MaxLength = 400;

    public static string For(NormalizedChange change) => Fit(change.SourceEventId);

    public static string Fit(string key) => Fit(key, MaxLength);

    /// <summary>
    /// The key as it fits a column of <paramref name="maxLength"/> characters: itself, or a prefix plus a SHA-256 of
    /// the whole key, never cut between the two halves of a surrogate pair (PostgreSQL could not store half of one).
    /// </summary>
    public static string Fit(string key, int maxLength)
    {
        if (key.Length <= maxLength)
        {
            return key;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        var prefix = maxLength - hash.Length - 1;
        if (char.IsHighSurrogate(key[prefix - 1]))
        {
            prefix--;
        }
        return $"{key[..prefix]}#{hash}";
    }
}
