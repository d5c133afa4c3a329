using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using Webhooks.Contracts;
using Webhooks.Ingress.Telemetry;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests.Telemetry;

/// <summary>
/// Spans cost CPU on every request and SQL command, so the ingress makes them only when something takes them: the
/// OTLP exporter, or (here) a span processor. Then it continues the sender's trace through the stored delivery.
/// </summary>
[NonParallelizable]
public sealed class TracingTests
{
    [Test]
    public async Task Without_an_exporter_a_webhook_makes_no_spans_and_stores_no_trace()
    {
        Assert.That(Environment.GetEnvironmentVariable(TelemetryExtensions.OtlpEndpointVariable), Is.Null.Or.Empty,
            "this test needs OTEL_EXPORTER_OTLP_ENDPOINT unset");
        await using var app = new IngressApplication();
        await app.StartAsync();

        var (_, delivery) = await PostWithTraceParentAsync(app);

        Assert.Multiple(() =>
        {
            Assert.That(delivery.TraceParent, Is.Null, "no request span, so no trace to continue");
            Assert.That(IngressTelemetry.ActivitySource.HasListeners(), Is.False, "no tracer listens to the ingress's own spans");
        });
    }

    [Test]
    public async Task With_a_span_consumer_a_webhook_continues_the_senders_trace()
    {
        var ended = new ConcurrentQueue<Activity>();
        await using var app = new IngressApplication(configure: web =>
            web.ConfigureServices(services => services.AddSingleton<BaseProcessor<Activity>>(new Recorder(ended))));
        await app.StartAsync();

        var (traceId, delivery) = await PostWithTraceParentAsync(app);

        Assert.Multiple(() =>
        {
            Assert.That(delivery.TraceParent, Does.StartWith($"00-{traceId}-"));
            Assert.That(ended.Any(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == traceId), Is.True, "the request span reached the processor");
        });
    }

    private static async Task<(ActivityTraceId TraceId, Persistence.Model.Delivery Delivery)> PostWithTraceParentAsync(IngressApplication app)
    {
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        var traceId = ActivityTraceId.CreateRandom();
        using var client = app.CreateClient();
        using var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (traceId, (await app.DeliveriesOfAsync(integration.Id)).Single());
    }

    private sealed class Recorder(ConcurrentQueue<Activity> ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => ended.Enqueue(data);
    }
}
