using System.Diagnostics;
using System.Diagnostics.Metrics;
using Webhooks.Contracts;

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
    /// The relay's span around one send, a child of the request that stored the delivery (its traceparent was stored
    /// with the row). MassTransit's send span nests under it and carries it to the worker in <c>MT-Activity-Id</c>.
    /// </summary>
    public static Activity? StartRelay(ProcessDelivery message, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var activity = ActivitySource.StartActivity("outbox relay", ActivityKind.Internal, parent);
        activity?.SetTag("webhooks.delivery_id", message.DeliveryId);
        activity?.SetTag("webhooks.provider", message.Provider.ToWireName());
        return activity;
    }

    public void Published(int count) => _published.Add(count);

    public void Dispose() => _meter.Dispose();
}
