using System.Net;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Admin;

public sealed class RecordsApiTests : IngressFixture
{
    private async Task<System.Text.Json.JsonElement> CreateRecordAsync(Guid productId, string kind = "feature", string name = "Login page") =>
        await AdminClient.ExpectAsync(await Admin.PostAsync($"/products/{productId}/records", new { kind, name, description = "As a user…", status = "new" }), HttpStatusCode.Created);

    [Test]
    public async Task Records_get_increasing_reference_numbers_from_the_product_key()
    {
        var seeded = await Admin.SeedAsync();

        var first = await CreateRecordAsync(seeded.ProductId);
        var second = await CreateRecordAsync(seeded.ProductId, kind: "epic", name: "Accounts");

        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("referenceNum").GetString(), Is.EqualTo("APP-1"));
            Assert.That(second.GetProperty("referenceNum").GetString(), Is.EqualTo("APP-2"));
            Assert.That(first.GetProperty("kind").GetString(), Is.EqualTo("feature"));
            Assert.That(first.GetProperty("name").GetString(), Is.EqualTo("Login page"));
            Assert.That(first.GetProperty("description").GetString(), Is.EqualTo("As a user…"));
            Assert.That(first.GetProperty("status").GetString(), Is.EqualTo("new"));
            Assert.That(first.GetProperty("productId").GetGuid(), Is.EqualTo(seeded.ProductId));
        });
    }

    [Test]
    public async Task Concurrent_creates_never_share_a_reference_number()
    {
        var seeded = await Admin.SeedAsync();

        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => CreateRecordAsync(seeded.ProductId)));

        var numbers = created.Select(r => r.GetProperty("referenceNum").GetString()).ToList();
        Assert.That(numbers, Is.EquivalentTo(Enumerable.Range(1, 12).Select(n => $"APP-{n}")));
    }

    [Test]
    public async Task Invalid_record_is_400_and_unknown_product_404()
    {
        var seeded = await Admin.SeedAsync();

        var badKind = await AdminClient.ExpectAsync(await Admin.PostAsync($"/products/{seeded.ProductId}/records", new { kind = "bug", name = "x" }), HttpStatusCode.BadRequest);
        var noName = await AdminClient.ExpectAsync(await Admin.PostAsync($"/products/{seeded.ProductId}/records", new { kind = "feature" }), HttpStatusCode.BadRequest);
        using var unknown = await Admin.PostAsync($"/products/{Guid.NewGuid()}/records", new { kind = "feature", name = "x" });

        Assert.Multiple(() =>
        {
            Assert.That(badKind.GetProperty("errors").TryGetProperty("kind", out _), Is.True);
            Assert.That(noName.GetProperty("errors").TryGetProperty("name", out _), Is.True);
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Record_is_linked_once_per_integration_and_item()
    {
        var seeded = await Admin.SeedAsync();
        var stranger = await Admin.SeedAsync();
        var recordId = (await CreateRecordAsync(seeded.ProductId)).GetProperty("id").GetGuid();
        var body = new { integrationId = seeded.IntegrationId, externalId = "10001", externalKey = "PROJ-1", externalUrl = "https://jira.example.test/browse/PROJ-1" };

        var link = await AdminClient.ExpectAsync(await Admin.PostAsync($"/records/{recordId}/links", body), HttpStatusCode.Created);
        using var duplicate = await Admin.PostAsync($"/records/{recordId}/links", body);
        using var otherAccount = await Admin.PostAsync($"/records/{recordId}/links", new { integrationId = stranger.IntegrationId, externalId = "10001" });
        using var unknownRecord = await Admin.PostAsync($"/records/{Guid.NewGuid()}/links", body);

        Assert.Multiple(() =>
        {
            Assert.That(link.GetProperty("recordId").GetGuid(), Is.EqualTo(recordId));
            Assert.That(link.GetProperty("integrationId").GetGuid(), Is.EqualTo(seeded.IntegrationId));
            Assert.That(link.GetProperty("externalId").GetString(), Is.EqualTo("10001"));
            Assert.That(link.GetProperty("externalKey").GetString(), Is.EqualTo("PROJ-1"));
            Assert.That(link.GetProperty("externalUrl").GetString(), Is.EqualTo("https://jira.example.test/browse/PROJ-1"));
            Assert.That(duplicate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(otherAccount.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownRecord.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Record_shows_its_live_comments_and_history_oldest_first()
    {
        var seeded = await Admin.SeedAsync();
        var recordId = (await CreateRecordAsync(seeded.ProductId)).GetProperty("id").GetGuid();
        var deliveryId = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        var older = new Comment
        {
            Id = Guid.NewGuid(), RecordId = recordId, Body = "First", AuthorUserId = seeded.UserId, SourceProvider = Provider.Jira,
            SourceExternalId = "c-1", SourceAuthor = "Ann", CreatedAt = at, UpdatedAt = at,
        };
        var deleted = new Comment { Id = Guid.NewGuid(), RecordId = recordId, Body = "Gone", AuthorUserId = seeded.UserId, Deleted = true, CreatedAt = at.AddMinutes(1), UpdatedAt = at };
        var newer = new Comment { Id = Guid.NewGuid(), RecordId = recordId, Body = "Second", AuthorUserId = seeded.UserId, CreatedAt = at.AddMinutes(2), UpdatedAt = at };
        await using (var db = App.CreateDbContext())
        {
            db.Comments.AddRange(newer, deleted, older);
            db.AuditEntries.AddRange(
                new AuditEntry { RecordId = recordId, UserId = seeded.UserId, Action = "status_changed", Before = "new", After = "done", At = at.AddMinutes(5), DeliveryId = deliveryId, IntegrationId = seeded.IntegrationId },
                new AuditEntry { RecordId = recordId, UserId = seeded.UserId, Action = "comment_added", After = "First", At = at, DeliveryId = deliveryId, IntegrationId = seeded.IntegrationId });
            await db.SaveChangesAsync();
        }

        var record = await AdminClient.ExpectAsync(await Admin.GetAsync($"/records/{recordId}"), HttpStatusCode.OK);

        var comments = record.GetProperty("comments").EnumerateArray().ToList();
        var history = record.GetProperty("history").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(record.GetProperty("id").GetGuid(), Is.EqualTo(recordId));
            Assert.That(record.GetProperty("name").GetString(), Is.EqualTo("Login page"));
            Assert.That(record.GetProperty("description").GetString(), Is.EqualTo("As a user…"));
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("new"));
            Assert.That(record.GetProperty("updatedByUserId").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(record.GetProperty("referenceNum").GetString(), Is.EqualTo("APP-1"));
            Assert.That(comments.Select(c => c.GetProperty("body").GetString()), Is.EqualTo(new[] { "First", "Second" }));
            Assert.That(comments[0].GetProperty("id").GetGuid(), Is.EqualTo(older.Id));
            Assert.That(comments[0].GetProperty("authorUserId").GetGuid(), Is.EqualTo(seeded.UserId));
            Assert.That(comments[0].GetProperty("sourceProvider").GetString(), Is.EqualTo("jira"));
            Assert.That(comments[0].GetProperty("sourceExternalId").GetString(), Is.EqualTo("c-1"));
            Assert.That(comments[0].GetProperty("sourceAuthor").GetString(), Is.EqualTo("Ann"));
            Assert.That(comments[1].GetProperty("sourceProvider").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(history.Select(h => h.GetProperty("action").GetString()), Is.EqualTo(new[] { "comment_added", "status_changed" }));
            Assert.That(history[1].GetProperty("userId").GetGuid(), Is.EqualTo(seeded.UserId));
            Assert.That(history[1].GetProperty("deliveryId").GetGuid(), Is.EqualTo(deliveryId));
            Assert.That(history[1].GetProperty("integrationId").GetGuid(), Is.EqualTo(seeded.IntegrationId));
            Assert.That(history[1].GetProperty("before").GetString(), Is.EqualTo("new"));
            Assert.That(history[1].GetProperty("after").GetString(), Is.EqualTo("done"));
            Assert.That(history[1].GetProperty("at").GetDateTimeOffset(), Is.EqualTo(at.AddMinutes(5)).Within(TimeSpan.FromMilliseconds(1)));
        });
    }

    [Test]
    public async Task Unknown_record_is_answered_404()
    {
        using var response = await Admin.GetAsync($"/records/{Guid.NewGuid()}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
