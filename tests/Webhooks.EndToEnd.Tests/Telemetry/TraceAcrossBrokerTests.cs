using System.Diagnostics;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>
/// The "done when": one trace from the sender's HTTP request, through the outbox and RabbitMQ, to the
/// worker's apply and its SQL. The relay sends later, from a background loop, so this only holds because the
/// request's traceparent is stored with the delivery and the relay sends under it.
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
        using var spans = new SpanCollector("Microsoft.AspNetCore", "MassTransit", "Npgsql", "Webhooks.Ingress", "Webhooks.Workers");
        var senderTrace = ActivityTraceId.CreateRandom();
        var traceParent = senderSentTraceparent ? $"00-{senderTrace}-{ActivitySpanId.CreateRandom()}-01" : null;

        var deliveryId = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath, traceParent);
        var outcome = await stack.WaitForOutcomeAsync(deliveryId);

        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
        var request = await spans.WaitForAsync(
            s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server && Equals(s.GetTagItem("http.route"), WebhookRoute),
            "ingress webhook request");
        var consume = await spans.WaitForAsync(
            s => s.Source.Name == "MassTransit" && s.TraceId == request.TraceId
                 && s.GetTagItem("messaging.masstransit.consumer_type")?.ToString()?.Contains("ProcessDeliveryConsumer", StringComparison.Ordinal) == true,
            $"worker consume in trace {request.TraceId}");
        var apply = await spans.WaitForAsync(
            s => s.Source.Name == "Webhooks.Workers" && s.TraceId == request.TraceId && Equals(s.GetTagItem("webhooks.delivery_id"), deliveryId),
            $"worker apply in trace {request.TraceId}");
        var trace = spans.InTrace(request.TraceId);
        var describe = string.Join("\n", trace.Select(s => $"{s.Source.Name} {s.Kind} '{s.DisplayName}' {s.SpanId} ← {s.ParentSpanId}"));

        Assert.Multiple(() =>
        {
            if (senderSentTraceparent)
            {
                Assert.That(request.TraceId, Is.EqualTo(senderTrace), "the ingress continues the sender's trace");
            }
            Assert.That(request.GetTagItem("http.request.method"), Is.EqualTo("POST"), "ASP.NET Core 10 adds the HTTP tags only with the AppContext switch");
            Assert.That(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer && spans.IsUnder(s, request)), Is.True,
                $"the relay's send is under the request:\n{describe}");
            Assert.That(spans.IsUnder(consume, request), Is.True, $"the worker's consume span descends from the request span:\n{describe}");
            Assert.That(spans.IsUnder(apply, consume), Is.True, $"the apply span is inside the consume span:\n{describe}");
            Assert.That(trace.Any(s => s.Source.Name == "Npgsql" && spans.IsUnder(s, apply)), Is.True, $"the worker's SQL is inside its apply:\n{describe}");
        });
    }
}
