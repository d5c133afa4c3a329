namespace Webhooks.Workers.Applying;

/// <summary>
/// Per (target record, change): <see cref="Applied"/> when its ledger key was new (the change was taken; under last
/// writer wins an older value may leave the record as it was), <see cref="Duplicates"/> when the key was already there.
/// </summary>
public readonly record struct ApplyCounts(int Applied, int Duplicates)
{
    public static ApplyCounts operator +(ApplyCounts left, ApplyCounts right) =>
        new(left.Applied + right.Applied, left.Duplicates + right.Duplicates);

    public static ApplyCounts Add(ApplyCounts left, ApplyCounts right) => left + right;
}
