namespace Webhooks.Persistence;

/// <summary>
/// The PostgreSQL <c>NOTIFY</c> channel every ingress replica's outbox relay <c>LISTEN</c>s on. A delivery put back in
/// the outbox by another process (a replay from the worker's command line) or another replica is sent at once instead
/// of at the relay's next sweep; the sweep stays the fallback when a notification is missed.
/// </summary>
public static class OutboxChannel
{
    public const string Name = "webhooks_outbox";
}
