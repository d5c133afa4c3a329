namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>What a purge did: <see cref="Purged"/> messages removed for good, <see cref="Left"/> not matching and kept.</summary>
public sealed record DeadLetterPurge(string Provider, string Queue, int Purged, int Left);
