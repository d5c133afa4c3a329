using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Trace;
using Webhooks.Testing;
using Webhooks.Workers;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Health;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// The ingress (a <see cref="IngressHost"/>) and a worker host (the same <see cref="WorkerHost.Build"/> as the
/// program) running in this process on one database and one vhost: a webhook goes over HTTP, through PostgreSQL and
/// RabbitMQ, to the worker, exactly as in production.
/// </summary>
public sealed class StackFixture : IAsyncDisposable
{
    private readonly WebApplication _topology;
    private readonly List<Activity> _ingressSpans;
    private readonly List<Activity> _workerSpans;

    private StackFixture(WebApplication topology, IngressHost ingress, WebApplication worker, List<Activity> ingressSpans, List<Activity> workerSpans)
    {
        _topology = topology;
        Ingress = ingress;
        Worker = worker;
        _ingressSpans = ingressSpans;
        _workerSpans = workerSpans;
        Admin = new StackAdmin(ingress.CreateAdminClient());
        Webhooks = ingress.CreateClient();
    }

    public IngressHost Ingress { get; }
    public WebApplication Worker { get; }
    public StackAdmin Admin { get; }
    /// <summary>A client as a sender uses it: no admin key.</summary>
    public HttpClient Webhooks { get; }

    public static async Task<StackFixture> StartAsync(string connectionString, string virtualHost, bool waitUntilReady = true)
    {
        // As deploy/run.sh does: every provider's queue exists before the ingress sends to it, consumed or not. The host
        // that declared them lives as long as the stack: MassTransit's log context is process-wide, and the worker's bus
        // fails to start on the logger factory of a host disposed before it.
        var topology = WorkerHost.Build(WorkerArguments(connectionString, virtualHost), deployTopologyOnly: true);
        await topology.Services.GetRequiredService<IBusControl>().DeployAsync();
        // Both programs export their spans to memory, as they would over OTLP; each keeps its own list, because each
        // provider appends from the thread that ends a span.
        var workerSpans = new List<Activity>();
        var worker = WorkerHost.Build(WorkerArguments(connectionString, virtualHost),
            configure: builder => builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(workerSpans)));
        await worker.StartAsync();
        if (waitUntilReady)
        {
            await WaitUntilReadyAsync(worker);
        }
        var ingressSpans = new List<Activity>();
        var ingress = new IngressHost(connectionString, virtualHost,
            web => web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(ingressSpans))));
        await ingress.StartAsync();
        return new StackFixture(topology, ingress, worker, ingressSpans, workerSpans);
    }

    /// <summary>
    /// Every span either program has exported so far. Both run in this process and a provider listens process-wide,
    /// so a span of a source both trace (Npgsql, MassTransit) is exported by both: each is listed once.
    /// </summary>
    public IReadOnlyList<Activity> ExportedSpans() => [.. _ingressSpans.Snapshot().Concat(_workerSpans.Snapshot()).Distinct()];

    public static string[] WorkerArguments(string connectionString, string virtualHost) =>
    [
        $"--ConnectionStrings:Webhooks={TestServices.ConnectionAs(connectionString, TestServices.WorkerRole)}",
        $"--RabbitMqTransport:Host={TestServices.RabbitHost}",
        $"--RabbitMqTransport:Port={TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture)}",
        $"--RabbitMqTransport:VHost={virtualHost}",
        $"--RabbitMqTransport:User={TestServices.WorkerBrokerUser.Name}",
        $"--RabbitMqTransport:Pass={TestServices.WorkerBrokerUser.Password}",
        $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}",
        // GitHub's queue is not consumed: its tests process deliveries through the worker's DeliveryProcessor in the
        // order they choose (ProcessInOrderAsync), which a consumer would race.
        "--Workers:Providers=jira,salesforce,trello,rally,standard",
        "--Workers:HealthPort=0",
        "--Workers:RetryLimit=2",
        "--Workers:RetryMinInterval=00:00:00.050",
        "--Workers:RetryMaxInterval=00:00:00.200",
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Microsoft.EntityFrameworkCore=None",
        "--Logging:LogLevel:MassTransit=Critical",
    ];

    /// <summary>The worker's health listener (Workers:HealthPort=0 lets Kestrel pick the port).</summary>
    public static Uri HealthAddress(WebApplication worker) =>
        new(worker.Urls.First().Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal));

    private static async Task WaitUntilReadyAsync(WebApplication worker)
    {
        var health = worker.Services.GetRequiredService<HealthCheckService>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HealthReport report;
        do
        {
            report = await health.CheckHealthAsync(check => check.Tags.Contains(HealthExtensions.ReadyTag));
            if (report.Status == HealthStatus.Healthy)
            {
                return;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new InvalidOperationException($"The worker did not become ready within 30 s: {string.Join("; ", report.Entries.Select(e => $"{e.Key}={e.Value.Status} {e.Value.Description}"))}");
    }

    /// <summary>Processes stored deliveries one at a time in the given order, as the worker's consumer would one by one.</summary>
    public async Task ProcessInOrderAsync(params Guid[] deliveryIds)
    {
        foreach (var id in deliveryIds)
        {
            await using var scope = Worker.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessAsync(id, CancellationToken.None);
        }
    }

    /// <summary>Polls the admin API until the delivery has an outcome; fails with what it last saw.</summary>
    public async Task<JsonElement> WaitForOutcomeAsync(Guid deliveryId, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        JsonElement delivery;
        do
        {
            delivery = await Admin.Http.GetFromJsonAsync<JsonElement>($"{StackAdmin.Prefix}/deliveries/{deliveryId}");
            if (delivery.GetProperty("status").GetString() is not ("accepted" or "queued"))
            {
                return delivery;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Delivery {deliveryId} was still {delivery.GetProperty("status")} after {(within ?? TimeSpan.FromSeconds(30)).TotalSeconds} s: {delivery}");
        return delivery;
    }

    public async ValueTask DisposeAsync()
    {
        Webhooks.Dispose();
        Admin.Http.Dispose();
        await Ingress.DisposeAsync();
        await Worker.StopAsync();
        await Worker.DisposeAsync();
        await _topology.DisposeAsync();
    }
}
