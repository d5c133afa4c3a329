using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Tests.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Asana on the real stack, as a user sets it up: the integration and its API token made through the admin API (the
/// token stored encrypted), Asana's handshake and signed deliveries posted to the ingress, the outbox relay and RabbitMQ
/// to a worker that consumes <c>webhooks-asana</c>, and the task or story read from a loopback fake of the Asana API.
/// </summary>
public sealed class AsanaEndToEndTests : FetchingFixture
{
    private const string TaskGid = "1199170056173519";
    private const string Token = "asana-pat-do-not-log-0123456789";
    // The handshake secret task_changed.completed.json was signed with (SOURCES.md): its recorded signature verifies.
    private const string HookSecret = "cfecd97ea57de2b55a0a1a343c16fe3e";

    protected override string[] WorkerArguments => ["--Workers:Providers=asana", $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}", .. QuickFetching];

    private static readonly Dictionary<string, string> Mappings = new() { ["Completed"] = "shipped", ["Incomplete"] = "new" };

    /// <summary>An Asana integration made through the admin API, then Asana's handshake (the first one stores its secret).</summary>
    private async Task<CreatedIntegration> AsanaIntegrationAsync(Tenant tenant, bool credentials = true)
    {
        object settings = credentials
            ? new { statusMappings = Mappings, apiBaseUrl = Api.BaseUrl.ToString(), apiToken = Token }
            : new { statusMappings = Mappings };
        var integration = await Ingress.Admin.CreateIntegrationAsync(tenant, "asana", settings);
        await Ingress.AsanaHandshakeAsync(integration, HookSecret);
        return integration;
    }

    /// <summary>Posts a delivery signed as Asana signs it and waits for its outcome.</summary>
    private async Task<Delivery> DeliverAsync(CreatedIntegration integration, byte[] body, params DeliveryStatus[] awaited)
    {
        var deliveryId = await Ingress.PostWebhookAsync(integration, body, new Dictionary<string, string> { ["X-Hook-Signature"] = SenderSignatures.HexHmacSha256(HookSecret, body) });
        return await WaitForOutcomeAsync(deliveryId, awaited);
    }

    private static byte[] Completed => PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");

    [Test]
    public async Task Completed_task_through_two_webhooks_sets_the_mapped_status_once_with_the_token_the_operator_gave()
    {
        Api.On($"tasks/{TaskGid}", Json("""{"data":{"gid":"1199170056173519","name":"Ship it","completed":true,"memberships":[]}}"""));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var first = await AsanaIntegrationAsync(tenant);
        var second = await AsanaIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, first, TaskGid);

        // The recorded delivery, byte for byte with its recorded signature.
        var recorded = JsonSerializer.Deserialize<Dictionary<string, string>>(PayloadFixtures.Read(Provider.Asana, "task_changed.completed.headers.json"))!;
        var applied = await WaitForOutcomeAsync(await Ingress.PostWebhookAsync(first, Completed, recorded));
        var again = await DeliverAsync(second, Completed);

        // completed → the task's status, read from the API; completed_at → a history line only.
        Assert.That((applied.Status, applied.Applied, applied.Duplicates, applied.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, 0, (string?)null)));
        Assert.That((again.Status, again.Applied, again.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 2)));
        var shown = await Ingress.Admin.GetRecordAsync(record);
        Assert.That((shown.GetProperty("status").GetString(), shown.GetProperty("updatedByUserId").GetGuid()), Is.EqualTo(("shipped", tenant.UserId)));
        Assert.That(History(shown), Is.EquivalentTo(new[] { ("status_changed", "shipped"), ("changed in asana", "task completed_at changed") }));
        // The admin API stored the token encrypted; the worker decrypted it and sent the token the operator gave.
        Assert.That(Api.Requests.Select(r => r.Authorization), Is.Not.Empty.And.All.EqualTo($"Bearer {Token}"));
    }

    [Test]
    public async Task Several_events_naming_one_task_in_one_delivery_read_it_once()
    {
        Api.On($"tasks/{TaskGid}", Json("""{"data":{"gid":"1199170056173519","name":"Renamed","notes":"New notes","completed":true,"memberships":[]}}"""));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);
        var body = Encoding.UTF8.GetBytes(AsanaPayloadParserTests.Events(
            AsanaPayloadParserTests.Event(TaskGid, "task", "changed", field: "name"),
            AsanaPayloadParserTests.Event(TaskGid, "task", "changed", field: "notes"),
            AsanaPayloadParserTests.Event(TaskGid, "task", "changed", field: "completed")));

        var delivery = await DeliverAsync(integration, body);

        Assert.That((delivery.Status, delivery.Applied), Is.EqualTo((DeliveryStatus.Processed, 3)), delivery.LastError);
        var shown = await Ingress.Admin.GetRecordAsync(record);
        Assert.That((shown.GetProperty("name").GetString(), shown.GetProperty("description").GetString(), shown.GetProperty("status").GetString()),
            Is.EqualTo(("Renamed", "New notes", "shipped")));
        Assert.That(Api.CountOf($"tasks/{TaskGid}"), Is.EqualTo(1));
    }

    [Test]
    public async Task Comment_story_becomes_a_comment_with_the_text_and_author_read_from_Asana_and_its_edit_changes_it()
    {
        Api.On("stories/555", Json("""{"data":{"gid":"555","text":"Ready for review","created_by":{"gid":"1","name":"Ada Asana"}}}"""));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);
        var body = AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event("555", "story", "added", parentGid: TaskGid, parentType: "task", subtype: "comment_added"));

        var delivery = await DeliverAsync(integration, Encoding.UTF8.GetBytes(body));

        Assert.That((delivery.Status, delivery.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), delivery.LastError);
        var comment = (await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray().Single();
        Assert.That((comment.GetProperty("body").GetString(), comment.GetProperty("sourceAuthor").GetString(), comment.GetProperty("sourceExternalId").GetString(),
                comment.GetProperty("authorUserId").GetGuid(), comment.GetProperty("sourceProvider").GetString()),
            Is.EqualTo(("Ready for review", "Ada Asana", "555", tenant.UserId, "asana")));

        // Asana names no parent on a comment edit: the story's target says which task it is on.
        Api.On("stories/555", Json("""{"data":{"gid":"555","text":"Ready for review, v2","created_by":{"name":"Ada Asana"},"target":{"gid":"1199170056173519"}}}"""));
        var editBody = AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event("555", "story", "changed", subtype: "comment_added", createdAt: "2021-10-29T03:00:00.000Z"));

        var edit = await DeliverAsync(integration, Encoding.UTF8.GetBytes(editBody));

        Assert.That((edit.Status, edit.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), edit.LastError);
        Assert.That((await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray().Single().GetProperty("body").GetString(), Is.EqualTo("Ready for review, v2"));
    }

    /// <summary>
    /// A comment story's event on <see cref="TaskGid"/>, signed and delivered: added and removed name the task as their
    /// parent, undeleted names none (providers.md §4.1), so the story's fetch says which task it is on.
    /// </summary>
    private Task<Delivery> CommentStoryAsync(CreatedIntegration integration, string storyGid, string action, string createdAt) =>
        DeliverAsync(integration, Encoding.UTF8.GetBytes(AsanaPayloadParserTests.Events(action is "added" or "removed"
            ? AsanaPayloadParserTests.Event(storyGid, "story", action, parentGid: TaskGid, parentType: "task", subtype: "comment_added", createdAt: createdAt)
            : AsanaPayloadParserTests.Event(storyGid, "story", action, subtype: "comment_added", createdAt: createdAt))));

    /// <summary>An Asana integration, a record linked to <see cref="TaskGid"/>, and the comment story the fake API serves on it.</summary>
    private async Task<(CreatedIntegration Integration, Guid Record)> RecordWithCommentStoryAsync(string storyGid)
    {
        Api.On($"stories/{storyGid}", Json($$$$"""{"data":{"gid":"{{{{storyGid}}}}","text":"Ready for review","created_by":{"name":"Ada Asana"},"target":{"gid":"{{{{TaskGid}}}}"}}}"""));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant);
        return (integration, await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid));
    }

    [Test]
    public async Task A_comment_restored_in_Asana_is_shown_again_unless_the_restore_is_older_than_its_deletion()
    {
        var (integration, record) = await RecordWithCommentStoryAsync("556");
        async Task<string[]> ShownAsync() =>
            [.. (await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()!)];

        await CommentStoryAsync(integration, "556", "added", "2021-10-29T02:45:00.000Z");
        await CommentStoryAsync(integration, "556", "removed", "2021-10-29T02:50:00.000Z");
        var hidden = await ShownAsync();
        // A restore from before the deletion (Asana delivers late and out of order) leaves it deleted.
        var stale = await CommentStoryAsync(integration, "556", "undeleted", "2021-10-29T02:48:00.000Z");
        var afterStale = await ShownAsync();
        var restored = await CommentStoryAsync(integration, "556", "undeleted", "2021-10-29T02:55:00.000Z");

        Assert.Multiple(async () =>
        {
            Assert.That((hidden, afterStale), Is.EqualTo((Array.Empty<string>(), Array.Empty<string>())));
            Assert.That((stale.Status, restored.Status, restored.Applied), Is.EqualTo((DeliveryStatus.Processed, DeliveryStatus.Processed, 1)), restored.LastError);
            Assert.That(await ShownAsync(), Is.EqualTo(new[] { "Ready for review" }));
            Assert.That(History(await Ingress.Admin.GetRecordAsync(record)).Select(h => h.Action),
                Is.EqualTo(new[] { "comment_added", "comment_deleted", "comment_restored" }));
        });
    }

    [Test]
    public async Task A_deletion_that_arrives_after_a_newer_restore_leaves_the_comment_shown()
    {
        // Asana delivers late and out of order: the restore (02:55) is applied before the removal (02:50) it undid.
        var (integration, record) = await RecordWithCommentStoryAsync("557");

        await CommentStoryAsync(integration, "557", "added", "2021-10-29T02:45:00.000Z");
        await CommentStoryAsync(integration, "557", "undeleted", "2021-10-29T02:55:00.000Z");
        var late = await CommentStoryAsync(integration, "557", "removed", "2021-10-29T02:50:00.000Z");

        Assert.That(late.Status, Is.EqualTo(DeliveryStatus.Processed), late.LastError);
        var shown = await Ingress.Admin.GetRecordAsync(record);
        Assert.That(shown.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()), Is.EqualTo(new[] { "Ready for review" }));
        Assert.That(History(shown).Select(h => h.Action), Has.No.Member("comment_deleted"));
    }

    [Test]
    public async Task Without_API_credentials_the_change_is_recorded_in_history_and_the_delivery_says_why()
    {
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant, credentials: false);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);

        var delivery = await DeliverAsync(integration, Completed);

        Assert.That((delivery.Status, delivery.Applied, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, ItemFetching.NoCredentials)));
        var shown = await Ingress.Admin.GetRecordAsync(record);
        Assert.That(History(shown), Is.EqualTo(new[] { ("changed in asana", "task completed changed"), ("changed in asana", "task completed_at changed") }));
        Assert.That(shown.GetProperty("status").GetString(), Is.EqualTo("new"));
        Assert.That(Api.Requests, Is.Empty);
    }

    [Test]
    public async Task Task_gone_from_Asana_is_recorded_in_history_and_not_retried()
    {
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);

        var delivery = await DeliverAsync(integration, Completed);

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Processed, 1)));
        Assert.That(delivery.LastError, Does.Contain("no longer exist in asana (404)"));
        Assert.That(History(await Ingress.Admin.GetRecordAsync(record)).Select(h => h.After), Does.Contain("task completed changed; no longer in asana (404)"));
        Assert.That(Api.CountOf($"tasks/{TaskGid}"), Is.EqualTo(1));
    }

    [Test]
    public async Task Asana_API_failing_past_its_retries_dead_letters_the_delivery_without_recording_the_token()
    {
        Api.On($"tasks/{TaskGid}", Status(503));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await AsanaIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);

        var outcome = await DeliverAsync(integration, Completed, DeliveryStatus.DeadLettered);

        Assert.That(outcome.LastError, Does.Contain("answered 503"));
        Assert.That(outcome.LastError, Does.Not.Contain(Token));
        Assert.That(outcome.Attempts, Is.EqualTo(3), "the first attempt and Workers:RetryLimit=2 retries");
        Assert.That(History(await Ingress.Admin.GetRecordAsync(record)), Is.Empty);
    }

    private static List<(string Action, string? After)> History(JsonElement record) =>
        [.. record.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("action").GetString()!, h.GetProperty("after").GetString()))];
}
