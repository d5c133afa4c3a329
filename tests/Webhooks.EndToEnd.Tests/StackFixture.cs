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
using Webhooks.Workers;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Health;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// The ingress (a <see cref="TestIngress"/>) and a worker host (the same <see cref="WorkerHost.Build"/> as the
/// program) running in this process on one database and one vhost: a webhook goes over HTTP, through PostgreSQL and
/// RabbitMQ, to the worker, exactly as in production.
/// </summary>
public sealed class StackFixture : IAsyncDisposable
{
    public const string AdminKey = "end-to-end-admin-key-0123456789abcdef";

    private readonly WebApplication _topology;
    private readonly List<Activity> _ingressSpans;
    private readonly List<Activity> _workerSpans;

    private StackFixture(WebApplication topology, TestIngress ingress, WebApplication worker, List<Activity> ingressSpans, List<Activity> workerSpans)
    {
        _topology = topology;
        Ingress = ingress;
        Worker = worker;
        _ingressSpans = ingressSpans;
        _workerSpans = workerSpans;
        Admin = new AdminClient(ingress.CreateAdminClient());
        Webhooks = ingress.CreateClient();
    }

    public TestIngress Ingress { get; }
    public WebApplication Worker { get; }
    public AdminClient Admin { get; }
    /// <summary>A client as a sender uses it: no admin key.</summary>
    public HttpClient Webhooks { get; }

    public static async Task<StackFixture> StartAsync(string connectionString, string virtualHost, bool waitUntilReady = true,
        IReadOnlyDictionary<string, string>? ingressSettings = null)
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
            await TestWorker.WaitUntilReadyAsync(worker.Services, HealthExtensions.ReadyTag);
        }
        var ingressSpans = new List<Activity>();
        var ingress = await StartIngressAsync(connectionString, virtualHost,
            web =>
            {
                web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(ingressSpans)));
                foreach (var (key, value) in ingressSettings ?? new Dictionary<string, string>())
                {
                    web.UseSetting(key, value);
                }
            });
        return new StackFixture(topology, ingress, worker, ingressSpans, workerSpans);
    }

    /// <summary>The ingress on the stack's database and vhost (its entry type named through a type of its own assembly: both programs define <c>Program</c>).</summary>
    public static async Task<TestIngress> StartIngressAsync(string connectionString, string virtualHost, Action<IWebHostBuilder>? configure = null)
    {
        var settings = TestIngress.Settings(connectionString, virtualHost, AdminKey);
        settings["Logging:LogLevel:Default"] = "Warning";
        var ingress = new TestIngress(settings, configure);
        await ingress.StartAsync();
        return ingress;
    }

    /// <summary>
    /// Every span either program has exported so far. Both run in this process and a provider listens process-wide,
    /// so a span of a source both trace (Npgsql, MassTransit) is exported by both: each is listed once.
    /// </summary>
    public IReadOnlyList<Activity> ExportedSpans() => [.. _ingressSpans.Snapshot().Concat(_workerSpans.Snapshot()).Distinct()];

    public static string[] WorkerArguments(string connectionString, string virtualHost) =>
        // GitHub's queue is not consumed: its tests process deliveries through the worker's DeliveryProcessor in the
        // order they choose (ProcessInOrderAsync), which a consumer would race.
        TestWorker.Arguments(connectionString, virtualHost, "--Workers:Providers=jira,salesforce,trello,rally,standard");

    /// <summary>The worker's health listener (Workers:HealthPort=0 lets Kestrel pick the port).</summary>
    public static Uri HealthAddress(WebApplication worker) =>
        new(worker.Urls.First().Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal));

    /// <summary>Processes stored deliveries one at a time in the given order, as the worker's consumer would one by one.</summary>
    public async Task ProcessInOrderAsync(params Guid[] deliveryIds)
    {
        foreach (var id in deliveryIds)
        {
            await using var scope = Worker.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessAsync(id, CancellationToken.None);
        }
    }

    /// <summary>Waits until the delivery has an outcome, as the admin API shows it.</summary>
    public Task<JsonElement> WaitForOutcomeAsync(Guid deliveryId, TimeSpan? within = null) => Admin.WaitForOutcomeAsync(deliveryId, within);

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
