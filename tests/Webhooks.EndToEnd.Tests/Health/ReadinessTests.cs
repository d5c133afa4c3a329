using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Webhooks.Testing;

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
        using var management = Management();
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        await WaitForAsync(worker, ingress, HttpStatusCode.OK, "Healthy", "the broker up", whileWaiting: () => Task.CompletedTask);

        // The vhost refuses new connections; the open ones are closed as the management API lists them (it lags).
        using (var limit = new StringContent("""{"value":0}""", Encoding.UTF8, "application/json"))
        {
            (await management.PutAsync($"vhost-limits/{Uri.EscapeDataString(vhost.Name)}/max-connections", limit)).EnsureSuccessStatusCode();
        }
        // Both programs' connections (one each) must be gone before the webhook, or the ingress would still send it.
        var closed = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var open = await CloseConnectionsAsync(management, vhost.Name);
            closed.UnionWith(open);
            if (closed.Count >= 2 && open.Count == 0)
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.That(closed, Has.Count.GreaterThanOrEqualTo(2), "the worker's and the ingress's connections were closed");
        var accepted = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        await WaitForAsync(worker, ingress, HttpStatusCode.ServiceUnavailable, "Degraded", "the broker away", whileWaiting: () => CloseConnectionsAsync(management, vhost.Name));

        await vhost.UnblockConnectionsAsync();
        await WaitForAsync(worker, ingress, HttpStatusCode.OK, "Healthy", "the broker back", whileWaiting: () => Task.CompletedTask);
        var outcome = await stack.WaitForOutcomeAsync(accepted);
        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), "the delivery accepted during the outage is applied once the broker is back");
    }

    private static HttpClient Management()
    {
        var management = new HttpClient { BaseAddress = new Uri($"http://{TestServices.RabbitHost}:{TestServices.RabbitManagementPort}/api/") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestServices.RabbitUser}:{TestServices.RabbitPassword}")));
        return management;
    }

    private static async Task<List<string>> CloseConnectionsAsync(HttpClient management, string vhost)
    {
        var closed = new List<string>();
        using var listed = await management.GetAsync($"vhosts/{Uri.EscapeDataString(vhost)}/connections");
        listed.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await listed.Content.ReadAsStringAsync());
        foreach (var connection in json.RootElement.EnumerateArray())
        {
            var name = connection.GetProperty("name").GetString()!;
            using var _ = await management.DeleteAsync($"connections/{Uri.EscapeDataString(name)}");
            closed.Add(name);
        }
        return closed;
    }

    private static async Task WaitForAsync(HttpClient worker, HttpClient ingress, HttpStatusCode workerStatus, string ingressOutbox, string when, Func<Task> whileWaiting)
    {
        var deadline = DateTime.UtcNow + Within;
        string seen;
        do
        {
            await whileWaiting();
            using var workerReady = await worker.GetAsync("/health/ready");
            using var ingressReady = await ingress.GetAsync("/health/ready");
            var report = JsonDocument.Parse(await ingressReady.Content.ReadAsStringAsync()).RootElement;
            var outbox = report.GetProperty("checks").GetProperty("outbox").GetProperty("status").GetString();
            if (workerReady.StatusCode == workerStatus && ingressReady.StatusCode == HttpStatusCode.OK && outbox == ingressOutbox)
            {
                return;
            }
            seen = $"worker {(int)workerReady.StatusCode}, ingress {(int)ingressReady.StatusCode} {report}";
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"With {when}: expected worker {(int)workerStatus} and ingress 200 with outbox {ingressOutbox} within {Within.TotalSeconds} s; last saw {seen}.");
    }
}
