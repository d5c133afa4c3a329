using System.Text.Json.Nodes;
using Webhooks.Contracts;

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

    /// <summary>
    /// The recorded status_done update for issue 10040 whose change group is a fix-version swap: one item removing the old
    /// version, one adding the new, in Jira's changelog item shape (fieldtype jira, fieldId fixVersions, ids in from/to).
    /// </summary>
    public static byte[] VersionSwap(string changelogId, string fromVersion, string fromId, string toVersion, string toId) =>
        Edit("jira_issue_updated.status_done.json", json =>
        {
            json["changelog"] = new JsonObject
            {
                ["id"] = changelogId,
                ["items"] = new JsonArray(
                    new JsonObject
                    {
                        ["field"] = "Fix Version", ["fieldtype"] = "jira", ["fieldId"] = "fixVersions",
                        ["from"] = fromId, ["fromString"] = fromVersion, ["to"] = null, ["toString"] = null,
                    },
                    new JsonObject
                    {
                        ["field"] = "Fix Version", ["fieldtype"] = "jira", ["fieldId"] = "fixVersions",
                        ["from"] = null, ["fromString"] = null, ["to"] = toId, ["toString"] = toVersion,
                    }),
            };
        });

    /// <summary>The recorded comment_created.json with a NUL (<c>\u0000</c>, valid JSON) in the body and the author's name.</summary>
    public static byte[] CommentCreatedWithNul() =>
        Edit("comment_created.json", json =>
        {
            json["comment"]!["body"] = "Added a\u0000comment";
            json["comment"]!["author"]!["displayName"] = "Test\u0000User";
        });

    /// <summary>comment_updated.json turned into the deletion of that comment (10019 on issue 10040).</summary>
    public static byte[] CommentDeleted() => Edit("comment_updated.json", json => json["webhookEvent"] = "comment_deleted");
}
