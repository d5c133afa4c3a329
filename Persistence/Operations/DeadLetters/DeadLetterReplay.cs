namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// What a dead-letter replay did (or, with <see cref="DryRun"/>, would do): <see cref="Replayed"/> messages removed
/// from the error queue after their <see cref="Deliveries"/> deliveries were put back in the outbox under
/// <see cref="ReplayId"/> (null when nothing was replayed); <see cref="Left"/> did not match and stayed;
/// <see cref="Skipped"/> matched but stayed, with the reason.
/// </summary>
public sealed record DeadLetterReplay(
    string Provider, string Queue, bool DryRun, Guid? ReplayId, int Replayed, int Deliveries, int Left,
    IReadOnlyList<SkippedDeadLetter> Skipped, IReadOnlyList<DeadLetter> Messages);
