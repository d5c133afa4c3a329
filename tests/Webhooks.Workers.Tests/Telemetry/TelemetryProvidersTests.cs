using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Webhooks.Workers.Telemetry;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Telemetry;

/// <summary>
/// A worker makes spans and aggregates measurements per message and per SQL command only when something takes them:
/// the OTLP exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>). The trace itself is EndToEnd's TraceAcrossBrokerTests.
/// </summary>
[NonParallelizable]
public sealed class TelemetryProvidersTests
{
    private static readonly string[] PerMessageSources = ["MassTransit", "Npgsql", WorkerTelemetry.Name];

    [Test]
    public async Task Without_an_exporter_a_processed_delivery_made_no_span_and_nothing_aggregates()
    {
        Assert.That(Environment.GetEnvironmentVariable(TelemetryExtensions.OtlpEndpointKey), Is.Null.Or.Empty,
            "this test needs OTEL_EXPORTER_OTLP_ENDPOINT unset");
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        await scenario.CreateLinkedRecordAsync(product, integration);
        _ = WorkerTelemetry.ActivitySource;

        await DeliverFixtureAsync(integration, "comment_created.json");

        Assert.Multiple(() =>
        {
            Assert.That(WorkersSetUp.Worker.App.Services.GetService<TracerProvider>(), Is.Null, "no tracer provider");
            Assert.That(WorkersSetUp.Worker.App.Services.GetService<MeterProvider>(), Is.Null, "no meter provider");
            Assert.That(WorkersSetUp.Worker.App.Services.GetService<LoggerProvider>(), Is.Null, "no OpenTelemetry log provider");
            Assert.That(TelemetryListeners.ListenedSources(PerMessageSources), Is.Empty, "activity sources someone listens to");
            Assert.That(TelemetryListeners.EnabledMeters(PerMessageSources), Is.Empty, "meters someone aggregates");
        });
    }

    [Test]
    public async Task With_the_otlp_endpoint_configured_the_worker_traces_meters_and_exports_logs()
    {
        // Nothing listens on the discard port: what is exported is dropped, which is not what this test is about.
        await using var worker = await WorkerApplication.StartAsync($"--{TelemetryExtensions.OtlpEndpointKey}=http://127.0.0.1:9");
        // Both are made with the first delivery otherwise.
        worker.App.Services.GetRequiredService<WorkerTelemetry>();
        _ = WorkerTelemetry.ActivitySource;

        Assert.Multiple(() =>
        {
            Assert.That(worker.App.Services.GetService<TracerProvider>(), Is.Not.Null, "a tracer provider");
            Assert.That(worker.App.Services.GetService<MeterProvider>(), Is.Not.Null, "a meter provider");
            Assert.That(worker.App.Services.GetService<LoggerProvider>(), Is.Not.Null, "an OpenTelemetry log provider");
            Assert.That(TelemetryListeners.ListenedSources(PerMessageSources), Is.SupersetOf(new[] { "Npgsql", WorkerTelemetry.Name }));
            Assert.That(TelemetryListeners.EnabledMeters(["Npgsql", WorkerTelemetry.Name, "System.Runtime"]), Is.EquivalentTo(new[] { "Npgsql", WorkerTelemetry.Name, "System.Runtime" }));
        });
    }
}
