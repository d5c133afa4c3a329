namespace Webhooks.Persistence.Operations.Replay;

/// <summary>
/// Where the deliveries of one replay are now. <see cref="Accepted"/> wait in the outbox, <see cref="Queued"/> are on
/// their provider's queue; the rest have an outcome again (<see cref="Statuses"/> counts every status). A delivery
/// replayed again later counts toward the later replay only.
/// </summary>
public sealed record ReplayProgress(Guid ReplayId, int Total, int Accepted, int Queued, int Finished, IReadOnlyDictionary<string, int> Statuses)
{
    public bool Done => Accepted + Queued == 0;
}
