using System.Net;
using Microsoft.AspNetCore.Hosting;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Retention;

/// <summary>
/// <c>Retention:Deliveries</c>: finished deliveries older than it leave the delivery log; a delivery still waiting for
/// the broker or a worker stays however old. A database and vhost of its own: it deletes whatever is old enough.
/// </summary>
public sealed class DeliveryRetentionTests
{
    private const string Secret = "retention-secret-0001";

    [Test]
    public async Task Finished_deliveries_older_than_the_retention_leave_the_log_and_waiting_ones_stay()
    {
        await using var database = await TestDatabase.CreateAsync("retention");
        await using var vhost = await TestVirtualHost.CreateAsync("retention");
        await using var app = await IngressFixture.StartAsync(
            configure: web => web.UseSetting("Retention:Deliveries", "00:00:03").UseSetting("Retention:Interval", "00:00:00.250"),
            connectionString: database.ConnectionString, virtualHost: vhost.Name);
        using var client = app.CreateClient();
        var admin = new AdminClient(app.CreateAdminClient());
        var seeded = await admin.SeedAsync("github", signingSecret: Secret);

        // Refused (final at once) and accepted (no worker here: it waits on its queue, however old it gets).
        var refused = await PostAsync(client, seeded.WebhookPath, "sha256=" + new string('0', 64));
        var waiting = await PostAsync(client, seeded.WebhookPath, GitHubSender.Signature(Body, Secret));
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(waiting.Status, Is.EqualTo(HttpStatusCode.OK));
        var refusedId = (await app.DeliveriesOfAsync(seeded.IntegrationId)).Single(d => d.Id != waiting.DeliveryId).Id;

        await Eventually.GetAsync("the refused delivery to leave the log", () => StatusOfAsync(admin, refusedId),
            status => status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(20));
        var refusedLater = await PostAsync(client, seeded.WebhookPath, "sha256=" + new string('1', 64));

        var log = await admin.ExpectAsync(HttpMethod.Get, $"/integrations/{seeded.IntegrationId}/deliveries", null, HttpStatusCode.OK);
        Assert.Multiple(async () =>
        {
            Assert.That(await StatusOfAsync(admin, waiting.DeliveryId!.Value), Is.EqualTo(HttpStatusCode.OK), "still waiting for a worker: kept");
            Assert.That(refusedLater.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            // Waiting: accepted (this vhost has no topology, so the relay keeps it) or queued, never deleted either way.
            Assert.That(log.EnumerateArray().Select(d => d.GetProperty("status").GetString()).Order(), Is.EqualTo(new[] { "accepted", "rejected" }),
                "the waiting delivery and the refusal younger than the retention");
        });
    }

    [TestCase(null, "1.00:00:00", TestName = "Ledger_retention_without_a_delivery_retention_stops_the_ingress_at_start")]
    [TestCase("30.00:00:00", "7.00:00:00", TestName = "Ledger_retention_shorter_than_the_delivery_retention_stops_the_ingress_at_start")]
    public void Ledger_retention_that_would_let_a_replay_apply_twice_stops_the_ingress_at_start(string? deliveries, string appliedChanges)
    {
        // A delivery still in the log can be replayed: its changes must still be in the ledger then.
        using var app = new IngressApplication(configure: web =>
        {
            web.UseSetting("Retention:AppliedChanges", appliedChanges);
            if (deliveries is not null)
            {
                web.UseSetting("Retention:Deliveries", deliveries);
            }
        });

        var stopped = Assert.Catch(() => app.CreateClient());

        var messages = new List<string>();
        for (Exception? e = stopped; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }
        Assert.That(string.Join(" | ", messages), Does.Contain("Retention:AppliedChanges needs Retention:Deliveries"));
    }

    private static readonly byte[] Body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");

    private static async Task<(HttpStatusCode Status, Guid? DeliveryId)> PostAsync(HttpClient client, string path, string signature)
    {
        using var request = GitHubSender.WithSignature(path, signature, Body);
        using var response = await client.SendAsync(request);
        using var answer = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, answer.RootElement.TryGetProperty("deliveryId", out var id) ? id.GetGuid() : null);
    }

    private static async Task<HttpStatusCode> StatusOfAsync(AdminClient admin, Guid deliveryId)
    {
        using var response = await admin.GetAsync($"/deliveries/{deliveryId}");
        return response.StatusCode;
    }
}
