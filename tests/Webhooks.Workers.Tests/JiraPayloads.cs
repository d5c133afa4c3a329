using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Workers.Tests;

/// <summary>Variations of the recorded Jira payloads, for the cases no recording covers.</summary>
public static class JiraPayloads
{
    public static byte[] Fixture(string name) => PayloadFixtures.Read(Provider.Jira, name);

    public static byte[] Edit(string fixture, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Jira, fixture))!.AsObject();
        change(json);
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>A <c>jira:issue_updated</c> for issue 10040 with one changelog item.</summary>
    public static byte[] IssueUpdated(string changelogId, string field, string? from, string to, long timestamp) =>
        Edit("jira_issue_updated.status_in_progress.json", json =>
        {
            json["timestamp"] = timestamp;
            json["changelog"] = new JsonObject
            {
                ["id"] = changelogId,
                ["items"] = new JsonArray(new JsonObject
                {
                    ["field"] = field, ["fieldtype"] = "jira", ["fieldId"] = field,
                    ["from"] = null, ["fromString"] = from, ["to"] = null, ["toString"] = to,
                }),
            };
        });

    /// <summary>The same comment as comment_created.json, carried by <c>jira:issue_updated</c> / <c>issue_commented</c>.</summary>
    public static byte[] IssueCommented() =>
        Edit("jira_issue_updated.status_in_progress.json", json =>
        {
            var comment = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Jira, "comment_created.json"))!["comment"]!.DeepClone();
            json["issue_event_type_name"] = "issue_commented";
            json.Remove("changelog");
            json["comment"] = comment;
        });

    /// <summary>comment_updated.json turned into the deletion of that comment (10019 on issue 10040).</summary>
    public static byte[] CommentDeleted() => Edit("comment_updated.json", json => json["webhookEvent"] = "comment_deleted");
}
