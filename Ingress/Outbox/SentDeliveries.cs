namespace Webhooks.Ingress.Outbox;

/// <summary>
/// Deliveries the relay sent and has not yet marked <c>queued</c>, oldest first. Bounded: past
/// <see cref="MaxPending"/> the oldest are due at once, so a stalled mark cannot grow the relay's memory.
/// </summary>
internal sealed class SentDeliveries
{
    public const int MaxPending = 200_000;

    private readonly Queue<(DateTimeOffset SentAt, Guid[] Ids)> _sends = new();
    private readonly Lock _lock = new();
    private int _pending;

    public void Add(DateTimeOffset sentAt, Guid[] ids)
    {
        lock (_lock)
        {
            _sends.Enqueue((sentAt, ids));
            _pending += ids.Length;
        }
    }

    /// <summary>When the oldest send is due for its mark, or null when nothing waits for one.</summary>
    public DateTimeOffset? NextDue(TimeSpan after)
    {
        lock (_lock)
        {
            return _sends.TryPeek(out var oldest) ? (_pending > MaxPending ? DateTimeOffset.MinValue : oldest.SentAt + after) : null;
        }
    }

    /// <summary>
    /// Takes the sends made at or before <paramref name="sentBy"/>, and the oldest beyond <see cref="MaxPending"/>, whole
    /// sends until at least <paramref name="atMost"/> deliveries are taken.
    /// </summary>
    public (Guid[] Ids, DateTimeOffset[] SentAt) TakeDue(DateTimeOffset sentBy, int atMost)
    {
        var ids = new List<Guid>();
        var times = new List<DateTimeOffset>();
        lock (_lock)
        {
            while (ids.Count < atMost && _sends.TryPeek(out var oldest) && (oldest.SentAt <= sentBy || _pending > MaxPending))
            {
                _sends.Dequeue();
                _pending -= oldest.Ids.Length;
                ids.AddRange(oldest.Ids);
                times.AddRange(Enumerable.Repeat(oldest.SentAt, oldest.Ids.Length));
            }
        }
        return ([.. ids], [.. times]);
    }
}
