using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Webhooks.Testing;

/// <summary>A worker host in a test's process, configured and awaited the same way in every project.</summary>
public static class TestWorker
{
    /// <summary>
    /// The worker program's command line as deploy/run.sh runs it (the workers' role and broker user, the key-ring
    /// certificate) on a test's database and vhost, with a free health port and retries in fractions of a second;
    /// <paramref name="overrides"/> come last and win.
    /// </summary>
    public static string[] Arguments(string connectionString, string virtualHost, params string[] overrides) =>
    [
        $"--ConnectionStrings:Webhooks={TestServices.ConnectionAs(connectionString, TestServices.WorkerRole)}",
        $"--RabbitMqTransport:Host={TestServices.RabbitHost}",
        $"--RabbitMqTransport:Port={TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture)}",
        $"--RabbitMqTransport:VHost={virtualHost}",
        $"--RabbitMqTransport:User={TestServices.WorkerBrokerUser.Name}",
        $"--RabbitMqTransport:Pass={TestServices.WorkerBrokerUser.Password}",
        $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}",
        "--Workers:HealthPort=0",
        "--Workers:RetryLimit=2",
        "--Workers:RetryMinInterval=00:00:00.050",
        "--Workers:RetryMaxInterval=00:00:00.200",
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Microsoft.EntityFrameworkCore=None",
        "--Logging:LogLevel:MassTransit=Critical",
        .. overrides,
    ];

    /// <summary>Waits until the host's checks tagged <paramref name="readyTag"/> are healthy; a failure names each check's status.</summary>
    public static Task WaitUntilReadyAsync(IServiceProvider services, string readyTag)
    {
        var health = services.GetRequiredService<HealthCheckService>();
        return Eventually.GetAsync("the worker host to be ready", async () =>
        {
            var report = await health.CheckHealthAsync(check => check.Tags.Contains(readyTag));
            return (report.Status, Checks: string.Join("; ", report.Entries.Select(e => $"{e.Key}={e.Value.Status} {e.Value.Description}")));
        }, ready => ready.Status == HealthStatus.Healthy);
    }
}
