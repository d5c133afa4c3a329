using System.Diagnostics;
using System.Diagnostics.Metrics;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Deliveries;

namespace Webhooks.Workers.Telemetry;

/// <summary>
/// The workers' own meter and activity source (<c>Webhooks.Workers</c>). Retries are not counted here: MassTransit's
/// <c>messaging.masstransit.consume.retries</c> (meter <c>MassTransit</c>) already counts every retried attempt.
/// </summary>
public sealed class WorkerTelemetry : IDisposable
{
    public const string Name = "Webhooks.Workers";

    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _applyDuration;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _deadLetters;
    private readonly Histogram<double> _lag;

    public WorkerTelemetry(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        _meter = meterFactory.Create(Name);
        _deliveries = _meter.CreateCounter<long>("webhooks.worker.deliveries", "{delivery}",
            "Deliveries given an outcome, by provider and outcome (processed, duplicate, ignored, failed).");
        _applyDuration = _meter.CreateHistogram<double>("webhooks.worker.apply.duration", "s",
            "Time to process one delivery attempt (load, parse, apply, record), by provider and outcome; a thrown attempt is outcome error.");
        _changes = _meter.CreateCounter<long>("webhooks.worker.changes", "{change}",
            "(record, change) pairs by provider and result: applied, duplicate (already in the ledger), no_target (no linked record).");
        _deadLetters = _meter.CreateCounter<long>("webhooks.worker.dead_letters", "{delivery}",
            "Deliveries whose message faulted past the retry limit and went to the error queue, by provider.");
        _lag = _meter.CreateHistogram<double>("webhooks.worker.lag", "s",
            "Time from the ingress receiving a delivery to its outcome being recorded, by provider.");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>Runs one processing attempt inside an <c>apply</c> span and records its outcome, duration, changes and lag.</summary>
    public Task<DeliveryOutcome> ApplyAsync(ProcessDelivery message, Func<Task<DeliveryOutcome>> process) =>
        ApplyAsync(message.DeliveryId, message.IntegrationId, message.Provider, message.ReceivedAt, () => ActivitySource.StartActivity("apply delivery"), process);

    /// <summary>
    /// The same for one delivery of a batch message: its span continues the trace of the request that brought it (the
    /// traceparent the batch carries) and links to the batch's consume span.
    /// </summary>
    public Task<DeliveryOutcome> ApplyAsync(Provider provider, BatchedDelivery delivery, Func<Task<DeliveryOutcome>> process) =>
        ApplyAsync(delivery.DeliveryId, delivery.IntegrationId, provider, delivery.ReceivedAt, () => StartBatchedApply(delivery.TraceParent), process);

    private async Task<DeliveryOutcome> ApplyAsync(Guid deliveryId, Guid integrationId, Provider deliveryProvider, DateTimeOffset receivedAt,
        Func<Activity?> startActivity, Func<Task<DeliveryOutcome>> process)
    {
        var provider = deliveryProvider.ToWireName();
        using var activity = startActivity();
        activity?.SetTag("webhooks.delivery_id", deliveryId);
        activity?.SetTag("webhooks.integration_id", integrationId);
        activity?.SetTag("webhooks.provider", provider);
        var started = _time.GetTimestamp();
        DeliveryOutcome outcome;
        try
        {
            outcome = await process();
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            _applyDuration.Record(_time.GetElapsedTime(started).TotalSeconds, new TagList { { "provider", provider }, { "outcome", "error" } });
            throw;
        }

        var status = SnakeCaseEnumConverter<DeliveryStatus>.ToName(outcome.Status);
        activity?.SetTag("webhooks.outcome", status);
        var tags = new TagList { { "provider", provider }, { "outcome", status } };
        _deliveries.Add(1, tags);
        _applyDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
        _lag.Record(Math.Max(0, (_time.GetUtcNow() - receivedAt).TotalSeconds), new TagList { { "provider", provider } });
        AddChanges(provider, "applied", outcome.Applied);
        AddChanges(provider, "duplicate", outcome.Duplicates);
        AddChanges(provider, "no_target", outcome.NoTarget);
        return outcome;
    }

    private static Activity? StartBatchedApply(string? traceParent)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }
        var consume = Activity.Current;
        if (!ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) && consume is not null)
        {
            context = consume.Context;
        }
        return ActivitySource.StartActivity(ActivityKind.Internal, context,
            links: consume is null ? null : [new ActivityLink(consume.Context)], name: "apply delivery");
    }

    public void DeadLettered(Provider provider) => _deadLetters.Add(1, new KeyValuePair<string, object?>("provider", provider.ToWireName()));

    private void AddChanges(string provider, string result, int count)
    {
        if (count > 0)
        {
            _changes.Add(count, new TagList { { "provider", provider }, { "result", result } });
        }
    }

    public void Dispose() => _meter.Dispose();
}
