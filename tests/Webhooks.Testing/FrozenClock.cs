namespace Webhooks.Testing;

/// <summary>A <see cref="TimeProvider"/> the test moves by hand.</summary>
public sealed class FrozenClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
