using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Webhooks.EndToEnd.Tests.Health;

/// <summary>
/// What an orchestrator sees when RabbitMQ goes away: the worker leaves rotation (it cannot consume), the ingress
/// stays in (it stores deliveries and the outbox sends them later) and reports its outbox as degraded once a stored
/// delivery has waited too long to be sent.
/// The database side is covered by each program's own tests.
/// </summary>
public sealed class ReadinessTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(45);

    [Test]
    public async Task Without_the_broker_the_worker_is_not_ready_and_the_ingress_is_ready_with_its_outbox_degraded_until_it_returns()
    {
        // A database of its own too: the shared stack's outbox relay would send this test's delivery through its own vhost.
        await using var database = await TestDatabase.CreateAsync("endtoend_health");
        await using var vhost = await TestVirtualHost.CreateAsync("endtoend-health");
        await using var stack = await StackFixture.StartAsync(database.ConnectionString, vhost.Name);
        using var worker = new HttpClient { BaseAddress = StackFixture.HealthAddress(stack.Worker) };
        using var ingress = stack.Ingress.CreateClient();
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        await WaitForAsync(worker, ingress, HttpStatusCode.OK, "Healthy", "the broker up", whileWaiting: () => Task.CompletedTask);

        // Both programs' connections (one each) must be gone before the webhook, or the ingress would still send it.
        await vhost.BlockConnectionsAsync(connections: 2);
        var accepted = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        await WaitForAsync(worker, ingress, HttpStatusCode.ServiceUnavailable, "Degraded", "the broker away", whileWaiting: vhost.CloseConnectionsAsync);

        await vhost.UnblockConnectionsAsync();
        await WaitForAsync(worker, ingress, HttpStatusCode.OK, "Healthy", "the broker back", whileWaiting: () => Task.CompletedTask);
        var outcome = await stack.WaitForOutcomeAsync(accepted);
        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), "the delivery accepted during the outage is applied once the broker is back");
    }

    private static Task WaitForAsync(HttpClient worker, HttpClient ingress, HttpStatusCode workerStatus, string ingressOutbox, string when, Func<Task> whileWaiting) =>
        Eventually.GetAsync($"worker {(int)workerStatus} and ingress 200 with outbox {ingressOutbox}, with {when}", async () =>
        {
            await whileWaiting();
            using var workerReady = await worker.GetAsync("/health/ready");
            using var ingressReady = await ingress.GetAsync("/health/ready");
            var report = JsonDocument.Parse(await ingressReady.Content.ReadAsStringAsync()).RootElement.Clone();
            return (Worker: workerReady.StatusCode, Ingress: ingressReady.StatusCode, Outbox: report.GetProperty("checks").GetProperty("outbox").GetProperty("status").GetString(), Report: report.GetRawText());
        }, seen => seen.Worker == workerStatus && seen.Ingress == HttpStatusCode.OK && seen.Outbox == ingressOutbox, Within);
}
