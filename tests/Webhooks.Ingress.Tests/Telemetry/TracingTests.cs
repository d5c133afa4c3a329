using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Webhooks.Contracts;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Tests.Telemetry;

/// <summary>
/// Spans and measurements cost CPU on every request and SQL command, so the ingress makes them only when something
/// takes them: the OTLP exporter, or (here) an in-memory exporter. Then request spans are named by their route, never
/// carry the token, and the sender's trace is continued through the stored delivery.
/// </summary>
[NonParallelizable]
public sealed class TracingTests
{
    /// <summary>The request, SQL, bus and own sources and meters: what would cost per request and per command.</summary>
    private static readonly string[] PerRequestSources = ["Microsoft.AspNetCore", "Npgsql", "MassTransit", IngressTelemetry.Name];

    private static readonly string[] PerRequestMeters = ["Microsoft.AspNetCore.Hosting", "Npgsql", "MassTransit", IngressTelemetry.Name];

    [Test]
    public async Task Without_an_exporter_nothing_listens_to_requests_sql_or_the_bus_and_no_trace_is_stored()
    {
        Assert.That(Environment.GetEnvironmentVariable(TelemetryExtensions.OtlpEndpointKey), Is.Null.Or.Empty,
            "this test needs OTEL_EXPORTER_OTLP_ENDPOINT unset");
        await using var app = await IngressFixture.StartAsync();

        var (_, delivery) = await PostWithTraceParentAsync(app);
        // Sent: the bus's sources and meters exist too.
        await app.WaitUntilPublishedAsync([delivery.Id], TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(app.Services.GetService<TracerProvider>(), Is.Null, "no tracer provider");
            Assert.That(app.Services.GetService<MeterProvider>(), Is.Null, "no meter provider");
            Assert.That(app.Services.GetService<LoggerProvider>(), Is.Null, "no OpenTelemetry log provider");
            Assert.That(TelemetryListeners.ListenedSources(PerRequestSources), Is.Empty, "activity sources someone listens to, so each request or command would make a span");
            Assert.That(TelemetryListeners.EnabledMeters(PerRequestMeters), Is.Empty, "instruments someone aggregates");
            Assert.That(delivery.TraceParent, Is.Null, "no request span, so no trace to continue");
        });
    }

    [Test]
    public async Task With_the_otlp_endpoint_configured_the_ingress_traces_meters_and_exports_logs()
    {
        // Nothing listens on the discard port: what is exported is dropped, which is not what this test is about.
        await using var app = await IngressFixture.StartAsync(configure: web => web.UseSetting(TelemetryExtensions.OtlpEndpointKey, "http://127.0.0.1:9"));

        var (traceId, delivery) = await PostWithTraceParentAsync(app);
        await app.WaitUntilPublishedAsync([delivery.Id], TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(app.Services.GetService<TracerProvider>(), Is.Not.Null, "a tracer provider");
            Assert.That(app.Services.GetService<MeterProvider>(), Is.Not.Null, "a meter provider");
            Assert.That(app.Services.GetService<LoggerProvider>(), Is.Not.Null, "an OpenTelemetry log provider");
            Assert.That(TelemetryListeners.ListenedSources(PerRequestSources), Is.EquivalentTo(PerRequestSources));
            // Not MassTransit's: its meter is made once per process, with the first bus, so in a test run it may be gone.
            Assert.That(TelemetryListeners.EnabledMeters(PerRequestMeters), Is.SupersetOf(new[] { "Microsoft.AspNetCore.Hosting", "Npgsql", IngressTelemetry.Name }));
            Assert.That(delivery.TraceParent, Does.StartWith($"00-{traceId}-"), "the sender's trace is continued through the stored delivery");
        });
    }

    [Test]
    public async Task Request_spans_are_named_by_route_with_status_and_the_senders_trace_and_never_carry_the_token()
    {
        var spans = new List<Activity>();
        await using var app = await IngressFixture.StartAsync(configure: web =>
            web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans))));
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        using var client = app.CreateClient();

        var (traceId, delivery) = await PostWithTraceParentAsync(app, integration);
        // A sender's mistyped URLs still carry the token.
        string[] mistyped =
        [
            $"/api/v1/webhooks/{integration.Token}/extra",
            $"/v1/webhooks/{integration.Token}",
            $"/api/v1/webhook/{integration.Token}",
            $"/api/v1/webhooks%2F{integration.Token}",
            $"/API/V1/WEBHOOKS/{integration.Token}?token={integration.Token}",
        ];
        foreach (var path in mistyped)
        {
            using var response = await client.PostAsync(path, Json());
            Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.InternalServerError), path);
        }
        // The admin API's requests that made the integration are spans too; these assertions are about the webhooks'.
        var requests = (await RequestSpansAsync(spans, found => found.Count(IsNotAdmin) >= 1 + mistyped.Length)).Where(IsNotAdmin).ToList();

        var webhook = requests.Single(s => s.TraceId == traceId);
        var leaking = spans.Snapshot().Select(TelemetryText.Of).Where(text => text.Contains(integration.Token, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(webhook.DisplayName, Is.EqualTo("POST /api/v1/webhooks/{token}"));
            Assert.That(webhook.Kind, Is.EqualTo(ActivityKind.Server));
            Assert.That(webhook.GetTagItem("http.route"), Is.EqualTo("/api/v1/webhooks/{token}"));
            Assert.That(webhook.GetTagItem("http.request.method"), Is.EqualTo("POST"));
            Assert.That(webhook.GetTagItem("http.response.status_code"), Is.EqualTo(200));
            Assert.That(webhook.GetTagItem("url.path"), Is.EqualTo(TelemetryExtensions.RedactedWebhookPath), "the path is kept, without the token");
            Assert.That(delivery.TraceParent, Does.StartWith($"00-{traceId}-{webhook.SpanId}-"), "the stored traceparent is the request span's");
            Assert.That(requests.Where(s => s.TraceId != traceId).Select(s => s.GetTagItem("url.path")), Is.All.EqualTo(TelemetryExtensions.RedactedWebhookPath));
            Assert.That(leaking, Is.Empty, "exported spans carrying the token");
        });
    }

    [Test]
    public async Task A_server_error_answer_is_a_failed_span_with_its_status_as_error_type()
    {
        var spans = new List<Activity>();
        // The directory never loads from a database that does not exist: every webhook is answered 503.
        await using var app = new IngressApplication(
            connectionString: "Host=127.0.0.1;Port=1;Database=none;Username=x;Password=y;Timeout=1",
            configure: web => web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans))));
        using var client = app.CreateClient();

        using var response = await client.PostAsync($"/api/v1/webhooks/{new string('a', 32)}", Json());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var request = (await RequestSpansAsync(spans, found => found.Count > 0)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(request.GetTagItem("error.type"), Is.EqualTo("503"));
        });
    }

    private static async Task<(ActivityTraceId TraceId, Persistence.Model.Delivery Delivery)> PostWithTraceParentAsync(
        IngressApplication app, SeededIntegration? integration = null)
    {
        integration ??= await app.CreateIntegrationAsync(Provider.Jira);
        var traceId = ActivityTraceId.CreateRandom();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = Json() };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (traceId, (await app.DeliveriesOfAsync(integration.Id)).Single());
    }

    private static ByteArrayContent Json()
    {
        var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static bool IsNotAdmin(Activity span) => span.GetTagItem("url.path") is not string path || !path.StartsWith(AdminClient.Prefix, StringComparison.Ordinal);

    /// <summary>A request span ends just after its answer is sent: the exported request spans, once there are enough.</summary>
    private static Task<List<Activity>> RequestSpansAsync(List<Activity> spans, Func<List<Activity>, bool> enough) =>
        Eventually.GetAsync("the request spans to be exported", () => Task.FromResult(spans.Snapshot().Where(s => s.Source.Name == "Microsoft.AspNetCore").ToList()), enough, TimeSpan.FromSeconds(10));
}
