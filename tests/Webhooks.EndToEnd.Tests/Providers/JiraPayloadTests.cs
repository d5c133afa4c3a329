using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>Recorded Jira webhooks with what a real one may also carry, through the whole stack to the linked record (issue 10040).</summary>
public sealed class JiraPayloadTests
{
    private static readonly Dictionary<string, string> JiraHeaders = new() { ["User-Agent"] = "Atlassian Webhook HTTP Client" };

    [Test]
    public async Task A_comment_holding_a_NUL_is_applied_with_the_replacement_character_not_retried()
    {
        // Valid JSON may carry \u0000 and PostgreSQL's text cannot: it used to fail every attempt (22021) and be dead-lettered.
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        var body = Edit("comment_created.json", json =>
        {
            json["comment"]!["body"] = "Added a\u0000comment";
            json["comment"]!["author"]!["displayName"] = "Test\u0000User";
        });

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, body, JiraHeaders);
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.That((outcome.GetProperty("status").GetString(), outcome.GetProperty("attempts").GetInt32()), Is.EqualTo(("processed", 1)), outcome.ToString());
        var comment = record.GetProperty("comments").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(comment.GetProperty("body").GetString(), Is.EqualTo("Added a\uFFFDcomment"));
            Assert.That(comment.GetProperty("sourceAuthor").GetString(), Is.EqualTo("Test\uFFFDUser"));
            Assert.That(record.GetProperty("history").EnumerateArray().Single().GetProperty("after").GetString(), Is.EqualTo("Added a\uFFFDcomment"));
        });
    }

    /// <summary>
    /// A comment id longer than the column that keeps it (200) used to fail every attempt (22001) and be dead-lettered
    /// (found by the hostile-input suite). It is kept shortened to a prefix and a hash of the whole id, as ledger keys
    /// are, never halving a surrogate pair, so the comment is applied once and its edit still finds it.
    /// </summary>
    [Test]
    public async Task A_comment_id_longer_than_its_column_is_applied_once_and_its_edit_finds_it()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        // The shortened id keeps 135 characters: an emoji (a surrogate pair) straddles that cut and must not be halved.
        var longId = "10019-" + new string('7', 128) + "\U0001F600" + new string('7', 3_000);
        var created = Edit("comment_created.json", json => json["comment"]!["id"] = longId);
        var updated = Edit("comment_updated.json", json =>
        {
            json["comment"]!["id"] = longId;
            json["comment"]!["body"] = "Edited comment";
        });

        var first = await stack.WaitForOutcomeAsync(await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, created, JiraHeaders));
        var edit = await stack.WaitForOutcomeAsync(await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, updated, JiraHeaders));
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.That((first.GetProperty("status").GetString(), first.GetProperty("attempts").GetInt32()), Is.EqualTo(("processed", 1)), first.ToString());
        Assert.That((edit.GetProperty("status").GetString(), edit.GetProperty("attempts").GetInt32()), Is.EqualTo(("processed", 1)), edit.ToString());
        var comment = record.GetProperty("comments").EnumerateArray().Single();
        Assert.That(comment.GetProperty("body").GetString(), Is.EqualTo("Edited comment"));
        Assert.That(comment.GetProperty("sourceExternalId").GetString(), Has.Length.LessThanOrEqualTo(200).And.StartWith("10019-777"));
    }

    [Test]
    public async Task A_timestamp_outside_any_date_fails_the_delivery_with_the_reason_and_is_not_retried()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        var body = Edit("jira_issue_updated.status_done.json", json => json["timestamp"] = 99_999_999_999_999_999L);

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, body, JiraHeaders);
        var outcome = await stack.WaitForOutcomeAsync(delivery);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("failed"), outcome.ToString());
            Assert.That(outcome.GetProperty("error").GetString(), Does.Contain("timestamp (99999999999999999)"));
            Assert.That(outcome.GetProperty("attempts").GetInt32(), Is.EqualTo(1), "a payload's fault is not retried as if the database were down");
        });
    }

    [Test]
    public async Task Two_changelog_items_for_one_field_are_both_recorded()
    {
        // A fix-version swap: one change group, the old version removed and the new one added.
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();
        var body = Edit("jira_issue_updated.status_done.json", json => json["changelog"] = new JsonObject
        {
            ["id"] = "10300",
            ["items"] = new JsonArray(
                new JsonObject
                {
                    ["field"] = "Fix Version", ["fieldtype"] = "jira", ["fieldId"] = "fixVersions",
                    ["from"] = "11364", ["fromString"] = "7.1", ["to"] = null, ["toString"] = null,
                },
                new JsonObject
                {
                    ["field"] = "Fix Version", ["fieldtype"] = "jira", ["fieldId"] = "fixVersions",
                    ["from"] = null, ["fromString"] = null, ["to"] = "13200", ["toString"] = "7.2",
                }),
        });

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, body, JiraHeaders);
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        var history = record.GetProperty("history").EnumerateArray()
            .Select(h => (h.GetProperty("action").GetString(), Text(h, "before"), Text(h, "after"))).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
            Assert.That(outcome.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.EqualTo(2), outcome.ToString());
            Assert.That(history, Is.EqualTo(new[]
            {
                ("field_changed:jira:fixVersions", "7.1", null),
                ("field_changed:jira:fixVersions", (string?)null, "7.2"),
            }));
        });
    }

    private static string? Text(JsonElement entry, string property) =>
        entry.GetProperty(property).ValueKind == JsonValueKind.Null ? null : entry.GetProperty(property).GetString();

    private static byte[] Edit(string fixture, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Jira, fixture))!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
