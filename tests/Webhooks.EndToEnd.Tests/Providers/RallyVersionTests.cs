using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>
/// Rally's revisions through the whole stack (the recorded Investment update): a VersionId written as a numeric string,
/// and a revision's time compared with another sender's on a record linked to both.
/// </summary>
public sealed class RallyVersionTests
{
    private const string InvestmentId = "a75e6aba-670c-4954-8c34-4cd3f7ffbc8f";
    private const string VersionIdAttribute = "f5b1fb22-6c15-44b5-a592-19189fafe5f2";

    [Test]
    public async Task A_Rally_revision_newer_than_a_Jira_change_on_the_same_record_overwrites_it()
    {
        // One record linked to Jira issue 10040 and to the Rally investment. Jira's recorded "Done" (2019-02-16) is applied
        // first; then Rally's recorded update (2022-11-04), its change made a ScheduleState change: the newer one wins.
        var stack = EndToEndSetUp.Stack;
        var jira = await stack.Admin.SeedLinkedRecordAsync("jira", "10040", new { statusMappings = new Dictionary<string, string> { ["Done"] = "in_progress" } });
        var rally = await stack.Admin.CreateIntegrationAsync(jira.ProductId, jira.RunAsUserId, "rally",
            new { statusMappings = new Dictionary<string, string> { ["Accepted"] = "shipped" } });
        await stack.Admin.ExpectAsync(HttpMethod.Post, $"/records/{jira.RecordId}/links",
            new { integrationId = rally.GetProperty("id").GetGuid(), externalId = InvestmentId }, System.Net.HttpStatusCode.Created);
        var accepted = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Rally, "investment.updated.json"))!;
        accepted["message"]!["changes"]!["b0000000-0000-0000-0000-000000000001"] = new JsonObject
        {
            ["value"] = "Accepted", ["old_value"] = "Defined", ["added"] = null, ["removed"] = null, ["type"] = "String",
            ["name"] = "ScheduleState", ["display_name"] = "Schedule State", ["ref"] = null,
        };

        var done = await stack.WaitForOutcomeAsync(await Sender.PostJsonAsync(stack.Webhooks, jira.WebhookPath,
            PayloadFixtures.Read(Provider.Jira, "jira_issue_updated.status_done.json"), new Dictionary<string, string> { ["User-Agent"] = "Atlassian Webhook HTTP Client" }));
        var statusAfterJira = (await stack.Admin.GetRecordAsync(jira.RecordId)).GetProperty("status").GetString();
        var revision = await stack.WaitForOutcomeAsync(await Sender.PostJsonAsync(stack.Webhooks,
            $"/api/v1/webhooks/{rally.GetProperty("token").GetString()}", Encoding.UTF8.GetBytes(accepted.ToJsonString())));
        var record = await stack.Admin.GetRecordAsync(jira.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That((done.GetProperty("status").GetString(), revision.GetProperty("status").GetString()), Is.EqualTo(("processed", "processed")), revision.ToString());
            Assert.That((statusAfterJira, record.GetProperty("status").GetString()), Is.EqualTo(("in_progress", "shipped")), record.ToString());
        });
    }

    [Test]
    public async Task An_update_whose_VersionId_is_a_numeric_string_is_applied()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("rally", InvestmentId, new { });
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Rally, "investment.updated.json"))!;
        json["message"]!["state"]![VersionIdAttribute]!["value"] = "2";
        json["message"]!["changes"]![VersionIdAttribute]!["value"] = "2";
        json["message"]!["changes"]![VersionIdAttribute]!["old_value"] = "1";

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, Encoding.UTF8.GetBytes(json.ToJsonString()));
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
        var entry = record.GetProperty("history").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That((entry.GetProperty("action").GetString(), entry.GetProperty("before").GetString(), entry.GetProperty("after").GetString()),
                Is.EqualTo(("field_changed:rally:InvestmentCategory", "None", "Transformational")));
        });
    }
}
