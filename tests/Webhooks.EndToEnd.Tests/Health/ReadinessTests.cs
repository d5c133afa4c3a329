using System.Net;
using System.Text.Json;
using Webhooks.Testing;

namespace Webhooks.EndToEnd.Tests.Health;

/// <summary>
/// What an orchestrator sees when RabbitMQ goes away: the worker leaves rotation (it cannot consume), the ingress
/// stays in (it stores deliveries and the outbox sends them later) and reports the broker as degraded.
/// The database side is covered by each program's own tests.
/// </summary>
public sealed class ReadinessTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(45);

    [Test]
    public async Task Without_the_broker_the_worker_is_not_ready_and_the_ingress_is_ready_with_the_broker_degraded_until_it_returns()
    {
        await using var vhost = await TestVirtualHost.CreateAsync("endtoend-health");
        await using var stack = await StackFixture.StartAsync(EndToEndSetUp.Database.ConnectionString, vhost.Name);
        using var probe = new HttpClient { BaseAddress = StackFixture.HealthAddress(stack.Worker) };
        using var ingressProbe = stack.Ingress.CreateClient();
        await WaitForAsync(probe, ingressProbe, HttpStatusCode.OK, "Healthy", "both ready with the broker up");

        await vhost.BlockConnectionsAsync();
        await WaitForAsync(probe, ingressProbe, HttpStatusCode.ServiceUnavailable, "Degraded", "the broker away");

        await vhost.UnblockConnectionsAsync();
        await WaitForAsync(probe, ingressProbe, HttpStatusCode.OK, "Healthy", "the broker back");
    }

    private static async Task WaitForAsync(HttpClient worker, HttpClient ingress, HttpStatusCode workerStatus, string ingressBroker, string when)
    {
        var deadline = DateTime.UtcNow + Within;
        string seen;
        do
        {
            using var workerReady = await worker.GetAsync("/health/ready");
            using var ingressReady = await ingress.GetAsync("/health/ready");
            var report = JsonDocument.Parse(await ingressReady.Content.ReadAsStringAsync()).RootElement;
            var broker = report.GetProperty("checks").GetProperty("broker").GetProperty("status").GetString();
            if (workerReady.StatusCode == workerStatus && ingressReady.StatusCode == HttpStatusCode.OK && broker == ingressBroker)
            {
                return;
            }
            seen = $"worker {(int)workerReady.StatusCode}, ingress {(int)ingressReady.StatusCode} {report}";
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"With {when}: expected worker {(int)workerStatus} and ingress 200 with broker {ingressBroker} within {Within.TotalSeconds} s; last saw {seen}.");
    }
}
