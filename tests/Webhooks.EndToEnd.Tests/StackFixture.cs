using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Testing;
using Webhooks.Workers;
using Webhooks.Workers.Health;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// The ingress (a <see cref="IngressHost"/>) and a worker host (the same <see cref="WorkerHost.Build"/> as the
/// program) running in this process on one database and one vhost: a webhook goes over HTTP, through PostgreSQL and
/// RabbitMQ, to the worker, exactly as in production.
/// </summary>
public sealed class StackFixture : IAsyncDisposable
{
    private StackFixture(IngressHost ingress, WebApplication worker)
    {
        Ingress = ingress;
        Worker = worker;
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
        var worker = WorkerHost.Build(WorkerArguments(connectionString, virtualHost));
        await worker.StartAsync();
        if (waitUntilReady)
        {
            await WaitUntilReadyAsync(worker);
        }
        var ingress = new IngressHost(connectionString, virtualHost);
        await ingress.StartAsync();
        return new StackFixture(ingress, worker);
    }

    public static string[] WorkerArguments(string connectionString, string virtualHost) =>
    [
        $"--ConnectionStrings:Webhooks={TestServices.ConnectionAs(connectionString, TestServices.WorkerRole)}",
        $"--RabbitMqTransport:Host={TestServices.RabbitHost}",
        $"--RabbitMqTransport:Port={TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture)}",
        $"--RabbitMqTransport:VHost={virtualHost}",
        $"--RabbitMqTransport:User={TestServices.WorkerBrokerUser.Name}",
        $"--RabbitMqTransport:Pass={TestServices.WorkerBrokerUser.Password}",
        $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}",
        "--Workers:Providers=jira",
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
    }
}
