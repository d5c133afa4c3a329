using System.Diagnostics;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>
/// The "done when": one trace from the sender's HTTP request, through the outbox and RabbitMQ, to the
/// worker's apply and its SQL, as the two programs export it. The relay sends later, from a background loop, so this
/// only holds because the request's traceparent is stored with the delivery and the relay sends under it.
/// </summary>
public sealed class TraceAcrossBrokerTests
{
    private const string WebhookRoute = "/api/v1/webhooks/{token}";

    [Test]
    public Task Worker_consume_apply_and_sql_spans_join_the_trace_of_a_webhook_request_without_traceparent() =>
        AssertOneTraceAsync(senderSentTraceparent: false);

    [Test]
    public Task Worker_consume_apply_and_sql_spans_join_the_trace_a_sender_started_with_its_traceparent() =>
        AssertOneTraceAsync(senderSentTraceparent: true);

    private static async Task AssertOneTraceAsync(bool senderSentTraceparent)
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        var senderTrace = ActivityTraceId.CreateRandom();
        var traceParent = senderSentTraceparent ? $"00-{senderTrace}-{ActivitySpanId.CreateRandom()}-01" : null;

        var deliveryId = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath, traceParent);
        var outcome = await stack.WaitForOutcomeAsync(deliveryId);

        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
        // Spans end a moment after the work they cover is committed.
        var apply = (await Eventually.GetAsync("the worker's apply span to be exported",
            () => Task.FromResult(stack.ExportedSpans().FirstOrDefault(s => s.Source.Name == "Webhooks.Workers" && Equals(s.GetTagItem("webhooks.delivery_id"), deliveryId))),
            span => span is not null, TimeSpan.FromSeconds(10)))!;
        var spans = stack.ExportedSpans();
        var trace = spans.Where(s => s.TraceId == apply.TraceId).ToList();
        var request = trace.SingleOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        var consume = trace.FirstOrDefault(s => s.Source.Name == "MassTransit"
            && s.GetTagItem("messaging.masstransit.consumer_type")?.ToString()?.Contains("ProcessDeliveryConsumer", StringComparison.Ordinal) == true);
        var describe = string.Join("\n", trace.Select(s => $"{s.Source.Name} {s.Kind} '{s.DisplayName}' {s.SpanId} ← {s.ParentSpanId}"));

        Assert.That(request, Is.Not.Null, $"the ingress's request span is in the apply's trace:\n{describe}");
        Assert.That(consume, Is.Not.Null, $"the worker's consume span is in the apply's trace:\n{describe}");
        Assert.Multiple(() =>
        {
            if (senderSentTraceparent)
            {
                Assert.That(request!.TraceId, Is.EqualTo(senderTrace), "the ingress continues the sender's trace");
            }
            Assert.That(request!.GetTagItem("http.route"), Is.EqualTo(WebhookRoute));
            Assert.That(request.GetTagItem("http.request.method"), Is.EqualTo("POST"));
            Assert.That(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && IsUnder(s, request, trace)), Is.True,
                $"the relay's send is under the request:\n{describe}");
            Assert.That(IsUnder(consume!, request, trace), Is.True, $"the worker's consume span descends from the request span:\n{describe}");
            Assert.That(IsUnder(apply, consume!, trace), Is.True, $"the apply span is inside the consume span:\n{describe}");
            Assert.That(trace.Any(s => s.Source.Name == "Npgsql" && IsUnder(s, apply, trace)), Is.True, $"the worker's SQL is inside its apply:\n{describe}");
        });
    }


    /// <summary>True when <paramref name="ancestor"/> is <paramref name="span"/>'s parent, grandparent, … within the trace.</summary>
    private static bool IsUnder(Activity span, Activity ancestor, IReadOnlyCollection<Activity> trace)
    {
        var bySpanId = trace.ToDictionary(s => s.SpanId);
        var parent = span.ParentSpanId;
        for (var depth = 0; depth < 32 && parent != default; depth++)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
            if (!bySpanId.TryGetValue(parent, out var next))
            {
                return false;
            }
            parent = next.ParentSpanId;
        }
        return false;
    }
}
