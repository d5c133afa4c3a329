using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Admin;

public sealed class DeliveriesApiTests : IngressFixture
{
    /// <summary>Stores deliveries as the ingress and a worker would have left them; none is accepted, so the relay leaves them alone.</summary>
    private async Task<List<Delivery>> StoreAsync(Guid integrationId, params (DeliveryStatus Status, string Body)[] rows)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-rows.Length);
        var deliveries = rows.Select((row, i) => new Delivery
        {
            Id = Guid.NewGuid(),
            IntegrationId = integrationId,
            Provider = Provider.Jira,
            ReceivedAt = start.AddMinutes(i),
            Headers = """{"X-Atlassian-Webhook-Identifier":"d-""" + i + "\"}",
            ContentType = "application/json",
            Body = Encoding.UTF8.GetBytes(row.Body),
            SourceDeliveryId = $"d-{i}",
            SignatureVerified = true,
            Status = row.Status,
            Attempts = 1,
            PublishedAt = start.AddMinutes(i),
            ProcessedAt = start.AddMinutes(i),
        }).ToList();
        await using var db = App.CreateDbContext();
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync();
        return deliveries;
    }

    /// <summary>Rows stored before the ingress redacted Salesforce's session id still carry it: the detail never shows it.</summary>
    [Test]
    public async Task Salesforce_delivery_stored_with_a_raw_session_id_is_shown_redacted()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce);
        var raw = Webhooks.Testing.PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml");
        var stored = new Delivery
        {
            Id = Guid.NewGuid(), IntegrationId = integration.Id, Provider = Provider.Salesforce, ReceivedAt = DateTimeOffset.UtcNow,
            ContentType = "text/xml", Body = raw, Status = DeliveryStatus.Processed, PublishedAt = DateTimeOffset.UtcNow,
        };
        await using (var db = App.CreateDbContext())
        {
            db.Deliveries.Add(stored);
            await db.SaveChangesAsync();
        }

        var detail = await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{stored.Id}"), HttpStatusCode.OK);

        var body = detail.GetProperty("body").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.UTF8.GetString(raw), Does.Contain("<SessionId>0123456789ABCDE!BSGSRAzG9lPxyKRPjJ3"));
            Assert.That(body, Does.Contain("<SessionId>[redacted]</SessionId>").And.Not.Contain("BSGSRAzG9lPxyKRPjJ3"));
            Assert.That(body, Does.Contain("<sf:Company>Microsoft</sf:Company>"), "the rest is shown");
        });
    }

    [Test]
    public async Task Delivery_log_is_newest_first_filtered_by_status_and_limited()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var stored = await StoreAsync(integration.Id,
            (DeliveryStatus.Processed, "{}"), (DeliveryStatus.DeadLettered, "{}"), (DeliveryStatus.Processed, "{}"), (DeliveryStatus.Ignored, "{}"), (DeliveryStatus.Processed, "{}"));

        var all = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integration.Id}/deliveries"), HttpStatusCode.OK);
        var processed = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integration.Id}/deliveries?status=processed"), HttpStatusCode.OK);
        var deadLettered = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integration.Id}/deliveries?status=dead_lettered"), HttpStatusCode.OK);
        var limited = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integration.Id}/deliveries?limit=2"), HttpStatusCode.OK);

        var newestFirst = stored.AsEnumerable().Reverse().Select(d => d.Id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(all.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()), Is.EqualTo(newestFirst));
            Assert.That(processed.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()),
                Is.EqualTo(newestFirst.Where(id => stored.Single(d => d.Id == id).Status == DeliveryStatus.Processed)));
            Assert.That(deadLettered.EnumerateArray().Select(d => d.GetProperty("status").GetString()), Is.EqualTo(new[] { "dead_lettered" }));
            Assert.That(limited.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()), Is.EqualTo(newestFirst.Take(2)));
        });
        var first = all[0];
        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("integrationId").GetGuid(), Is.EqualTo(integration.Id));
            Assert.That(first.GetProperty("provider").GetString(), Is.EqualTo("jira"));
            Assert.That(first.GetProperty("sourceDeliveryId").GetString(), Is.EqualTo("d-4"));
            Assert.That(first.GetProperty("signatureVerified").GetBoolean(), Is.True);
            Assert.That(first.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
            Assert.That(first.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.Zero);
            Assert.That(first.TryGetProperty("error", out _), Is.True);
            Assert.That(first.TryGetProperty("receivedAt", out _), Is.True);
            Assert.That(first.TryGetProperty("body", out _), Is.False, "the list never carries bodies");
        });
    }

    [Test]
    public async Task Delivery_log_refuses_an_unknown_status_and_an_unknown_integration()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);

        var problem = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integration.Id}/deliveries?status=lost"), HttpStatusCode.BadRequest);
        using var unknown = await Admin.GetAsync($"/integrations/{Guid.NewGuid()}/deliveries");

        Assert.That(problem.GetProperty("errors").TryGetProperty("status", out _), Is.True);
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Delivery_detail_shows_outcome_headers_and_the_body_as_text()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var delivery = (await StoreAsync(integration.Id, (DeliveryStatus.Failed, """{"summary":"Grüße"}"""))).Single();
        await using (var db = App.CreateDbContext())
        {
            await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
                .SetProperty(d => d.LastError, "malformed payload").SetProperty(d => d.Applied, 2).SetProperty(d => d.Duplicates, 1).SetProperty(d => d.NoTarget, 3));
        }

        var detail = await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{delivery.Id}"), HttpStatusCode.OK);

        Assert.Multiple(() =>
        {
            Assert.That(detail.GetProperty("id").GetGuid(), Is.EqualTo(delivery.Id));
            Assert.That(detail.GetProperty("integrationId").GetGuid(), Is.EqualTo(integration.Id));
            Assert.That(detail.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(detail.GetProperty("error").GetString(), Is.EqualTo("malformed payload"));
            Assert.That(detail.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
            Assert.That(detail.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.EqualTo(2));
            Assert.That(detail.GetProperty("outcome").GetProperty("duplicates").GetInt32(), Is.EqualTo(1));
            Assert.That(detail.GetProperty("outcome").GetProperty("noTarget").GetInt32(), Is.EqualTo(3));
            Assert.That(detail.GetProperty("headers").GetProperty("X-Atlassian-Webhook-Identifier").GetString(), Is.EqualTo("d-0"));
            Assert.That(detail.GetProperty("contentType").GetString(), Is.EqualTo("application/json"));
            Assert.That(detail.GetProperty("body").GetString(), Is.EqualTo("""{"summary":"Grüße"}"""));
            Assert.That(detail.GetProperty("bodyIsBase64").GetBoolean(), Is.False);
            Assert.That(detail.GetProperty("bodySize").GetInt32(), Is.EqualTo(Encoding.UTF8.GetByteCount("""{"summary":"Grüße"}""")));
            Assert.That(detail.GetProperty("publishedAt").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.String));
            Assert.That(detail.GetProperty("replayId").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "never replayed");
        });
    }

    [Test]
    public async Task Delivery_detail_shows_a_body_that_is_not_utf8_as_base64()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var delivery = (await StoreAsync(integration.Id, (DeliveryStatus.Failed, "x"))).Single();
        byte[] bytes = [0xff, 0xfe, 0x00, 0x41];
        await using (var db = App.CreateDbContext())
        {
            await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set.SetProperty(d => d.Body, bytes));
        }

        var detail = await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{delivery.Id}"), HttpStatusCode.OK);

        Assert.That(detail.GetProperty("bodyIsBase64").GetBoolean(), Is.True);
        Assert.That(detail.GetProperty("bodyEncoding").GetString(), Is.EqualTo("base64"));
        Assert.That(Convert.FromBase64String(detail.GetProperty("body").GetString()!), Is.EqualTo(bytes));
    }

    [Test]
    public async Task Replayed_delivery_goes_back_through_the_outbox_and_is_queued_again()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var delivery = (await StoreAsync(integration.Id, (DeliveryStatus.DeadLettered, "{}"))).Single();

        var answer = await AdminClient.ExpectAsync(await Admin.PostJsonAsync($"/deliveries/{delivery.Id}/replay", ""), HttpStatusCode.Accepted);

        Assert.That(answer.GetProperty("id").GetGuid(), Is.EqualTo(delivery.Id));
        Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("accepted"));
        var replayId = answer.GetProperty("replayId").GetGuid();
        var detail = await Eventually.GetAsync("the relay to republish the replayed delivery",
            async () => await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{delivery.Id}"), HttpStatusCode.OK),
            shown => shown.GetProperty("status").GetString() == "queued", TimeSpan.FromSeconds(15));
        await using var db = App.CreateDbContext();
        var current = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id);
        Assert.Multiple(() =>
        {
            Assert.That(detail.GetProperty("replayId").GetGuid(), Is.EqualTo(replayId), "the detail names its last replay");
            Assert.That(current.Status, Is.EqualTo(DeliveryStatus.Accepted), "queued is read from the outbox: the relay does not rewrite the row");
            Assert.That(detail.GetProperty("publishedAt").ValueKind, Is.EqualTo(JsonValueKind.Null), "a worker records when it was sent");
            Assert.That(current.ReplayId, Is.EqualTo(replayId), "the replay's progress counts it");
            Assert.That(current.LastError, Is.Null);
        });
    }

    [TestCase(DeliveryStatus.Handshake)]
    [TestCase(DeliveryStatus.Rejected)]
    public async Task Handshakes_and_rejected_deliveries_cannot_be_replayed(DeliveryStatus status)
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var delivery = (await StoreAsync(integration.Id, (status, "{}"))).Single();

        using var response = await Admin.PostJsonAsync($"/deliveries/{delivery.Id}/replay", "");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        await using var db = App.CreateDbContext();
        Assert.That((await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id)).Status, Is.EqualTo(status));
    }

    [Test]
    public async Task Unknown_delivery_is_answered_404()
    {
        using var detail = await Admin.GetAsync($"/deliveries/{Guid.NewGuid()}");
        using var replay = await Admin.PostJsonAsync($"/deliveries/{Guid.NewGuid()}/replay", "");

        Assert.That(detail.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
