using Webhooks.Persistence;
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

    public static string Fit(string key) => UniqueText.Fit(key, MaxLength);
}
