using MassTransit;

namespace Webhooks.Workers.Deliveries;

/// <summary>When the outbox relay sent a message: MassTransit stamps it on every send (UTC).</summary>
internal static class SentTime
{
    public static DateTimeOffset? Of(ConsumeContext context) =>
        context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : null;
}
