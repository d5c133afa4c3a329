using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>
/// A Standard Webhooks sender through the whole stack: the integration, its mapping and its whsec_ secret made through
/// the admin API, each request signed as the specification signs it (v1 HMAC over id.timestamp.body, now), the payload
/// the specification's own contact example, changed to carry a status and a comment.
/// </summary>
public sealed class StandardEndToEndTests
{
    private const string ContactId = "1f81eb52-5198-4599-803e-771906343485";

    private static readonly object Settings = new
    {
        statusMappings = new Dictionary<string, string> { ["active"] = "in_progress" },
        mapping = JsonNode.Parse("""
            {"itemId": "/data/id", "types": {
              "contact.updated": {"status": "/data/status", "name": "/data/fullName", "description": "/data/occupation"},
              "contact.commented": {"commentId": "/data/comment/id", "commentBody": "/data/comment/body", "commentAuthor": "/data/comment/author"}}}
            """),
    };

    [Test]
    public async Task A_signed_event_changes_the_linked_record_as_the_run_as_user_and_its_retry_is_a_duplicate()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, Settings);
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);
        var updated = Contact("contact.updated", data => data["status"] = "active");
        var messageId = $"msg_{Guid.NewGuid():N}";

        var first = await PostSignedAsync(stack, seeded.WebhookPath, secret, messageId, updated);
        var firstOutcome = await stack.WaitForOutcomeAsync(first);
        // The sender did not see the 200 and tries again: a new attempt, signed anew, of the same message.
        var retry = await PostSignedAsync(stack, seeded.WebhookPath, secret, messageId, updated);
        var retryOutcome = await stack.WaitForOutcomeAsync(retry);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), firstOutcome.ToString());
            Assert.That(retryOutcome.GetProperty("status").GetString(), Is.EqualTo("duplicate"), retryOutcome.ToString());
            Assert.That(record.GetProperty("name").GetString(), Is.EqualTo("John Smith"), record.ToString());
            Assert.That(record.GetProperty("description").GetString(), Is.EqualTo("Engineer, ACME"));
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("in_progress"), "active, through statusMappings");
            Assert.That(record.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("userId").GetGuid(), h.GetProperty("deliveryId").GetGuid())),
                Has.All.EqualTo((seeded.RunAsUserId, first)), "written once, by the run-as user, for the first delivery");
        });
    }

    [Test]
    public async Task Two_messages_whose_long_ids_differ_only_past_the_stored_length_are_both_applied()
    {
        // The specification sets no length on webhook-id. Cut to the column, these two ids were one, and the second
        // message was taken for the sender's retry of the first and never applied.
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, Settings);
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);
        var sharedStart = "msg_" + new string('x', 596) + Guid.NewGuid().ToString("N");
        var first = Contact("contact.commented", data => data["comment"] = new JsonObject { ["id"] = "cmt_41", ["body"] = "First call.", ["author"] = "Jane Doe" });
        var second = Contact("contact.commented", data => data["comment"] = new JsonObject { ["id"] = "cmt_42", ["body"] = "Second call.", ["author"] = "Jane Doe" });

        var firstOutcome = await stack.WaitForOutcomeAsync(await PostSignedAsync(stack, seeded.WebhookPath, secret, sharedStart + "-1", first));
        var secondOutcome = await stack.WaitForOutcomeAsync(await PostSignedAsync(stack, seeded.WebhookPath, secret, sharedStart + "-2", second));
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), firstOutcome.ToString());
            Assert.That(secondOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), secondOutcome.ToString());
            Assert.That(record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()),
                Is.EquivalentTo(new[] { "First call.", "Second call." }), record.ToString());
        });
    }

    [Test]
    public async Task A_comment_event_becomes_a_comment_by_the_run_as_user_keeping_the_senders_author()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, Settings);
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);
        var commented = Contact("contact.commented", data => data["comment"] = new JsonObject { ["id"] = "cmt_31", ["body"] = "Called, will call back.", ["author"] = "Jane Doe" });

        var delivery = await PostSignedAsync(stack, seeded.WebhookPath, secret, $"msg_{Guid.NewGuid():N}", commented);
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
        var comment = record.GetProperty("comments").EnumerateArray().Single();
        Assert.That((comment.GetProperty("body").GetString(), comment.GetProperty("authorUserId").GetGuid(), comment.GetProperty("sourceProvider").GetString(),
                comment.GetProperty("sourceAuthor").GetString()),
            Is.EqualTo(("Called, will call back.", seeded.RunAsUserId, "standard", "Jane Doe")));
    }

    [Test]
    public async Task The_issues_example_mapping_with_every_key_in_one_type_applies_each_change_and_records_the_deletion()
    {
        // The issue's settings.mapping as written there, every key in one type ("deleted": true among them), given through
        // the admin API; one signed event carrying a status, a title, a body and a comment.
        var settings = new
        {
            statusMappings = new Dictionary<string, string> { ["done"] = "shipped" },
            mapping = JsonNode.Parse("""
                {"itemId": "/data/id", "types": {"issue.closed": {"status": "/data/status", "name": "/data/title", "description": "/data/body", "commentId": "/data/comment/id", "commentBody": "/data/comment/body", "commentAuthor": "/data/comment/author", "deleted": true}}}
                """),
        };
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, settings);
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);
        var closed = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = "issue.closed",
            ["timestamp"] = "2026-12-03T11:00:00Z",
            ["data"] = new JsonObject
            {
                ["id"] = ContactId, ["status"] = "done", ["title"] = "Printer on floor 3", ["body"] = "Replaced the fuser.",
                ["comment"] = new JsonObject { ["id"] = "cmt_77", ["body"] = "Closing: fixed on site.", ["author"] = "Jane Doe" },
            },
        }.ToJsonString());

        var outcome = await stack.WaitForOutcomeAsync(await PostSignedAsync(stack, seeded.WebhookPath, secret, $"msg_{Guid.NewGuid():N}", closed));
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
            Assert.That(outcome.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.EqualTo(5), outcome.ToString());
            Assert.That((record.GetProperty("status").GetString(), record.GetProperty("name").GetString(), record.GetProperty("description").GetString()),
                Is.EqualTo(("shipped", "Printer on floor 3", "Replaced the fuser.")), record.ToString());
            Assert.That(record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()), Is.EqualTo(new[] { "Closing: fixed on site." }));
            Assert.That(record.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()), Has.Member("item_deleted"),
                record.GetProperty("history").ToString());
        });
    }

    [Test]
    public async Task One_event_fanned_out_to_two_integrations_applies_once_to_a_record_both_reach()
    {
        // A sender fanning one message out to two endpoints sends it with the same webhook-id, each signed with its own secret.
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, Settings);
        var firstSecret = await SetSecretAsync(stack, seeded.IntegrationId);
        var second = await CreateIntegrationAsync(stack, seeded);
        var secondSecret = await SetSecretAsync(stack, second.Id);
        var updated = Contact("contact.updated", data => data["status"] = "active");
        var messageId = $"msg_{Guid.NewGuid():N}";

        var viaFirst = await stack.WaitForOutcomeAsync(await PostSignedAsync(stack, seeded.WebhookPath, firstSecret, messageId, updated));
        var viaSecond = await stack.WaitForOutcomeAsync(await PostSignedAsync(stack, $"/api/v1/webhooks/{second.Token}", secondSecret, messageId, updated));

        Assert.Multiple(() =>
        {
            Assert.That(viaFirst.GetProperty("status").GetString(), Is.EqualTo("processed"), viaFirst.ToString());
            Assert.That(viaFirst.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.EqualTo(3), viaFirst.ToString());
            Assert.That(viaSecond.GetProperty("status").GetString(), Is.EqualTo("duplicate"), viaSecond.ToString());
            Assert.That(viaSecond.GetProperty("outcome").GetProperty("duplicates").GetInt32(), Is.EqualTo(3), viaSecond.ToString());
        });
    }

    [Test]
    public async Task An_event_type_the_mapping_does_not_name_is_stored_and_ignored_with_the_reason()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, Settings);
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);

        var delivery = await PostSignedAsync(stack, seeded.WebhookPath, secret, $"msg_{Guid.NewGuid():N}",
            PayloadFixtures.Read(Provider.Standard, "contact.created.full.json"));
        var outcome = await stack.WaitForOutcomeAsync(delivery);

        Assert.That((outcome.GetProperty("status").GetString(), outcome.GetProperty("error").GetString()),
            Is.EqualTo(("ignored", "Event type 'contact.created' is not in the integration's settings.mapping.types.")));
    }

    [Test]
    public async Task An_integration_without_a_mapping_of_its_own_reads_its_events_with_its_templates()
    {
        // One template holds what every integration of this sender shares; the integration that receives names it and
        // holds no mapping or status mappings of its own.
        var stack = EndToEndSetUp.Stack;
        var (seeded, outcome) = await ContactUpdatedUnderTemplateAsync(stack, ownSettings: new { });
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
            Assert.That(record.GetProperty("name").GetString(), Is.EqualTo("John Smith"), record.ToString());
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("in_progress"), "the template's statusMappings too");
        });
    }

    [Test]
    public async Task An_integrations_own_mapping_replaces_its_templates_whole()
    {
        // Its own mapping names only comments: the template's contact.updated is not mixed in.
        var own = new
        {
            mapping = JsonNode.Parse("""
                {"itemId": "/data/id", "types": {"contact.commented": {"commentId": "/data/comment/id", "commentBody": "/data/comment/body"}}}
                """),
        };
        var (_, outcome) = await ContactUpdatedUnderTemplateAsync(EndToEndSetUp.Stack, own);

        Assert.That((outcome.GetProperty("status").GetString(), outcome.GetProperty("error").GetString()),
            Is.EqualTo(("ignored", "Event type 'contact.updated' is not in the integration's settings.mapping.types.")), outcome.ToString());
    }

    /// <summary>
    /// A linked integration with <paramref name="ownSettings"/> whose template (made through the admin API) carries this
    /// class's mapping and status mappings, sent a signed contact.updated with status "active": its outcome.
    /// </summary>
    private static async Task<(LinkedRecord Seeded, JsonElement Outcome)> ContactUpdatedUnderTemplateAsync(StackFixture stack, object ownSettings)
    {
        var seeded = await stack.Admin.SeedLinkedRecordAsync("standard", ContactId, ownSettings);
        var template = await CreateIntegrationAsync(stack, seeded);
        await stack.Admin.PatchIntegrationAsync(seeded.IntegrationId, new { templateId = template.Id });
        var secret = await SetSecretAsync(stack, seeded.IntegrationId);
        var delivery = await PostSignedAsync(stack, seeded.WebhookPath, secret, $"msg_{Guid.NewGuid():N}",
            Contact("contact.updated", data => data["status"] = "active"));
        return (seeded, await stack.WaitForOutcomeAsync(delivery));
    }

    /// <summary>The specification's full contact example as another event type, changed.</summary>
    private static byte[] Contact(string type, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Standard, "contact.created.full.json"))!.AsObject();
        json["type"] = type;
        change(json["data"]!.AsObject());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static async Task<string> SetSecretAsync(StackFixture stack, Guid integrationId)
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await stack.Admin.PatchIntegrationAsync(integrationId, new { signingSecret = secret });
        return secret;
    }

    /// <summary>A second Standard integration of the seeded record's product, run as the same user.</summary>
    private static async Task<CreatedIntegration> CreateIntegrationAsync(StackFixture stack, LinkedRecord seeded)
    {
        var created = await stack.Admin.CreateIntegrationAsync(seeded.ProductId, seeded.RunAsUserId, "standard", Settings);
        return new CreatedIntegration(created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    /// <summary>Signed as the specification says, at this moment: <c>v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))</c>.</summary>
    private static Task<Guid> PostSignedAsync(StackFixture stack, string path, string secret, string messageId, byte[] body) =>
        Sender.PostJsonAsync(stack.Webhooks, path, body,
            SenderSignatures.StandardHeaders(secret, messageId, DateTimeOffset.UtcNow, body).ToDictionary(header => header.Name, header => header.Value));
}
