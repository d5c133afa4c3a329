using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>The instruments an operator's dashboard reads, recorded by a webhook's trip through the stack.</summary>
public sealed class MetricsTests
{
    [Test]
    public async Task A_processed_webhook_is_counted_by_provider_and_outcome_on_both_sides_with_its_latencies()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name is "Webhooks.Ingress" or "Webhooks.Workers")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        listener.Start();

        var deliveryId = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        await stack.WaitForOutcomeAsync(deliveryId);
        // The outcome is committed just before the worker records it.
        await Eventually.HoldsAsync("the worker to record its lag", () => measured.Any(m => m.Instrument == "webhooks.worker.lag"), TimeSpan.FromSeconds(10));

        bool Recorded(string instrument, params (string Key, string Value)[] tags) =>
            measured.Any(m => m.Instrument == instrument && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value));
        var seen = string.Join(", ", measured.Select(m => $"{m.Instrument}={m.Value} {{{string.Join(",", m.Tags)}}}"));
        Assert.Multiple(() =>
        {
            Assert.That(Recorded("webhooks.ingress.deliveries", ("provider", "jira"), ("outcome", "accepted")), Is.True, seen);
            Assert.That(Recorded("webhooks.ingress.accept.duration", ("provider", "jira"), ("outcome", "accepted")), Is.True, seen);
            Assert.That(Recorded("webhooks.ingress.outbox.published"), Is.True, seen);
            Assert.That(Recorded("webhooks.worker.deliveries", ("provider", "jira"), ("outcome", "processed")), Is.True, seen);
            Assert.That(Recorded("webhooks.worker.apply.duration", ("provider", "jira"), ("outcome", "processed")), Is.True, seen);
            Assert.That(Recorded("webhooks.worker.changes", ("provider", "jira"), ("result", "applied")), Is.True, seen);
            Assert.That(measured.Where(m => m.Instrument == "webhooks.worker.lag").Select(m => m.Value), Has.Some.GreaterThan(0), seen);
        });
    }

    private static Dictionary<string, string?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>();
        foreach (var (key, value) in tags)
        {
            copy[key] = value?.ToString();
        }
        return copy;
    }
}
