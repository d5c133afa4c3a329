using System.Diagnostics;
using System.Diagnostics.Metrics;
using Webhooks.Contracts;
using Webhooks.Ingress.Outbox;

namespace Webhooks.Ingress.Telemetry;

/// <summary>The ingress's own meter and activity source (<c>Webhooks.Ingress</c>).</summary>
public sealed class IngressTelemetry : IDisposable
{
    public const string Name = "Webhooks.Ingress";

    private readonly Meter _meter;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _acceptDuration;
    private readonly Counter<long> _published;

    public IngressTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _deliveries = _meter.CreateCounter<long>("webhooks.ingress.deliveries", "{delivery}", "Webhook requests answered, by provider and outcome.");
        _acceptDuration = _meter.CreateHistogram<double>("webhooks.ingress.accept.duration", "s", "Time from request start to the answer, by provider and outcome.");
        _published = _meter.CreateCounter<long>("webhooks.ingress.outbox.published", "{message}", "Deliveries handed to the broker by the outbox relay.");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public void Answered(Provider? provider, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "provider", provider?.ToWireName() ?? "unknown" }, { "outcome", outcome } };
        _deliveries.Add(1, tags);
        _acceptDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>
    /// The relay's span around one send. For one delivery it is a child of the request that stored it (its traceparent
    /// was stored with the row); for a batch it starts a trace of its own, linked to each delivery's request, and each
    /// delivery's processing joins its own request's trace through the traceparent the batch carries. MassTransit's send
    /// span nests under it and carries it to the worker in <c>MT-Activity-Id</c>.
    /// </summary>
    public static Activity? StartRelay(OutboxMessage message)
    {
        if (message.Deliveries.Count == 1)
        {
            var delivery = message.Deliveries[0];
            ActivityContext.TryParse(delivery.TraceParent, null, isRemote: true, out var parent);
            var single = ActivitySource.StartActivity("outbox relay", ActivityKind.Internal, parent);
            single?.SetTag("webhooks.delivery_id", delivery.DeliveryId);
            single?.SetTag("webhooks.provider", message.Provider.ToWireName());
            return single;
        }
        if (!ActivitySource.HasListeners())
        {
            return null;
        }
        var links = new List<ActivityLink>(message.Deliveries.Count);
        foreach (var delivery in message.Deliveries)
        {
            if (ActivityContext.TryParse(delivery.TraceParent, null, isRemote: true, out var context))
            {
                links.Add(new ActivityLink(context));
            }
        }
        var batch = ActivitySource.StartActivity(ActivityKind.Internal, parentContext: default, links: links, name: "outbox relay batch");
        batch?.SetTag("webhooks.provider", message.Provider.ToWireName());
        batch?.SetTag("webhooks.batch_size", message.Deliveries.Count);
        return batch;
    }

    public void Published(int count) => _published.Add(count);

    public void Dispose() => _meter.Dispose();
}
