using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.GitHub;

namespace Webhooks.Workers.Tests.Providers;

public sealed class GitHubPayloadParserTests
{
    private const string IssueId = "444500041";
    private readonly GitHubPayloadParser _parser = new();

    /// <summary>The fixtures are named <c>{X-GitHub-Event}.{action}.json</c>; GitHub sends the event in that header.</summary>
    public static Dictionary<string, string> HeadersFor(string eventName, string delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") =>
        new(StringComparer.OrdinalIgnoreCase) { ["X-GitHub-Event"] = eventName, ["X-GitHub-Delivery"] = delivery, ["User-Agent"] = "GitHub-Hookshot/044aadd" };

    private ParseResult Parse(string eventName, byte[] body) => _parser.Parse(body, HeadersFor(eventName));

    private ParseResult ParseFixture(string fixture) => Parse(fixture.Split('.')[0], PayloadFixtures.Read(Provider.GitHub, fixture));

    public static byte[] Edit(string fixture, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.GitHub, fixture))!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.GitHub);

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUniversalTime();

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_is_applied_to_its_issue_or_ignored_with_a_reason(string fixture)
    {
        var result = ParseFixture(fixture);

        switch (fixture)
        {
            case "ping.json":
                Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
                Assert.That(result.Reason, Does.Contain("ping"));
                break;
            case "issues.edited.json":
                // The recording's `changes` is {}: nothing to write, and the reason says so.
                Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
                Assert.That(result.Reason, Does.Contain("neither a title nor a body"));
                break;
            default:
                using (var json = JsonDocument.Parse(PayloadFixtures.Read(Provider.GitHub, fixture)))
                {
                    var issueId = json.RootElement.GetProperty("issue").GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
                    Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
                    Assert.That(result.Changes, Is.Not.Empty);
                    Assert.That(result.Changes.Select(c => c.ExternalItemId), Has.All.EqualTo(issueId));
                    Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith("github:"));
                }
                break;
        }
    }

    [Test]
    public void Issue_opened_is_an_item_created_with_its_title()
    {
        var change = ParseFixture("issues.opened.json").Changes.Single();

        Assert.That(change, Is.EqualTo(new ItemCreated(IssueId, "github:issue:444500041:opened:2019-05-15T15:20:18Z", Utc("2019-05-15T15:20:18Z"), "Spelling error in the README file")));
    }

    [Test]
    public void Issue_closed_and_reopened_are_status_changes_to_closed_and_open()
    {
        var closed = (StatusChanged)ParseFixture("issues.closed.json").Changes.Single();
        var reopened = (StatusChanged)Parse("issues", Edit("issues.closed.json", json =>
        {
            json["action"] = "reopened";
            json["issue"]!["state"] = "open";
            json["issue"]!["updated_at"] = "2018-11-18T18:45:00Z";
        })).Changes.Single();

        Assert.That((closed.ExternalItemId, closed.OldStatus, closed.NewStatus), Is.EqualTo(("381987215", "open", "closed")));
        Assert.That(closed.SourceEventId, Is.EqualTo("github:issue:381987215:closed:2018-11-18T18:42:08Z:72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        Assert.That(closed.SourceTimestamp, Is.EqualTo(Utc("2018-11-18T18:42:08Z")));
        Assert.That((reopened.NewStatus, reopened.SourceTimestamp), Is.EqualTo(("open", Utc("2018-11-18T18:45:00Z"))));
    }

    [Test]
    public void Close_reopen_close_within_one_second_are_three_changes_with_three_keys()
    {
        // Same issue, same updated_at, the two closes alike to the byte: only GitHub's event id tells them apart.
        var close = PayloadFixtures.Read(Provider.GitHub, "issues.closed.json");
        var reopen = Reopened("issues.closed.json");

        var keys = new[]
        {
            _parser.Parse(close, HeadersFor("issues", "0b1a0f00-0000-4000-8000-000000000001")),
            _parser.Parse(reopen, HeadersFor("issues", "0b1a0f00-0000-4000-8000-000000000002")),
            _parser.Parse(close, HeadersFor("issues", "0b1a0f00-0000-4000-8000-000000000003")),
        }.Select(r => r.Changes.Single().SourceEventId);

        Assert.That(keys, Is.Unique);
    }

    [Test]
    public void One_close_delivered_to_two_hooks_has_one_key()
    {
        // GitHub gives every hook, and every redelivery, the same X-GitHub-Delivery for one event (G-API hook-delivery.guid).
        var close = PayloadFixtures.Read(Provider.GitHub, "issues.closed.json");
        var toOneHook = _parser.Parse(close, HeadersFor("issues", "0b1a0f00-0000-4000-8000-000000000004"));
        var toAnother = _parser.Parse(close, new Dictionary<string, string>(HeadersFor("issues", "0b1a0f00-0000-4000-8000-000000000004")) { ["X-GitHub-Hook-ID"] = "2" });

        Assert.That(toOneHook.Changes.Single().SourceEventId, Is.EqualTo(toAnother.Changes.Single().SourceEventId));
    }

    /// <summary>The recorded close turned into the reopen that could follow it in the same second.</summary>
    public static byte[] Reopened(string closedFixture) => Edit(closedFixture, json =>
    {
        json["action"] = "reopened";
        json["issue"]!["state"] = "open";
        json["issue"]!["closed_at"] = null;
    });

    [Test]
    public void Title_and_body_edits_become_name_and_description_with_the_old_values_from_changes()
    {
        var body = Edit("issues.edited.json", json => json["changes"] = new JsonObject
        {
            ["title"] = new JsonObject { ["from"] = "Speling error" },
            ["body"] = new JsonObject { ["from"] = "old body" },
        });

        var changes = Parse("issues", body).Changes.Cast<FieldChanged>().ToList();

        Assert.That(changes.Select(c => (c.Field, c.OldValue, c.NewValue)), Is.EqualTo(new[]
        {
            (RecordFields.Name, (string?)"Speling error", (string?)"Spelling error in the README file"),
            (RecordFields.Description, (string?)"old body", (string?)"It looks like you accidently spelled 'commit' with two 't's."),
        }));
        Assert.That(changes.Select(c => c.SourceEventId), Is.Unique);
        Assert.That(changes.Select(c => c.SourceTimestamp), Has.All.EqualTo(Utc("2019-05-15T15:20:18Z")));
    }

    [Test]
    public void Two_different_title_edits_in_the_same_second_keep_two_keys()
    {
        byte[] Retitled(string title) => Edit("issues.edited.json", json =>
        {
            json["issue"]!["title"] = title;
            json["changes"] = new JsonObject { ["title"] = new JsonObject { ["from"] = "x" } };
        });

        var first = Parse("issues", Retitled("First")).Changes.Single();
        var second = Parse("issues", Retitled("Second")).Changes.Single();

        Assert.That(first.SourceEventId, Is.Not.EqualTo(second.SourceEventId));
    }

    [Test]
    public void Issue_deleted_is_an_item_deletion()
    {
        var change = Parse("issues", Edit("issues.opened.json", json => json["action"] = "deleted")).Changes.Single();

        Assert.That(change, Is.TypeOf<ItemDeleted>());
        Assert.That(change.SourceEventId, Is.EqualTo("github:issue:444500041:deleted"));
    }

    [Test]
    public void Comment_created_edited_and_deleted_name_the_comment_and_its_issue()
    {
        var created = (CommentAdded)ParseFixture("issue_comment.created.json").Changes.Single();
        var edited = (CommentEdited)ParseFixture("issue_comment.edited.json").Changes.Single();
        var deleted = (CommentDeleted)Parse("issue_comment", Edit("issue_comment.edited.json", json => json["action"] = "deleted")).Changes.Single();

        Assert.That(created, Is.EqualTo(new CommentAdded(IssueId, "github:comment:492700400:created:2019-05-15T15:20:21Z", Utc("2019-05-15T15:20:21Z"),
            "492700400", "You are totally right! I'll get this fixed right away.", "Codertocat")));
        Assert.That((edited.ExternalItemId, edited.CommentId, edited.Body, edited.SourceTimestamp),
            Is.EqualTo((IssueId, "492700400", "You are totally right! I'll get this fixed today.", Utc("2019-05-15T15:20:22Z"))));
        Assert.That(edited.SourceEventId, Does.StartWith("github:comment:492700400:edited:2019-05-15T15:20:22Z:"));
        Assert.That((deleted.ExternalItemId, deleted.CommentId, deleted.SourceEventId), Is.EqualTo((IssueId, "492700400", "github:comment:492700400:deleted")));
    }

    [Test]
    public void Comment_on_a_pull_request_goes_to_the_pull_requests_issue_id()
    {
        var body = Edit("issue_comment.created.json", json =>
        {
            json["issue"]!["id"] = 987654321;
            json["issue"]!["pull_request"] = new JsonObject { ["url"] = "https://api.github.com/repos/Codertocat/Hello-World/pulls/2" };
        });

        var change = Parse("issue_comment", body).Changes.Single();

        Assert.That((change.ExternalItemId, change.GetType()), Is.EqualTo(("987654321", typeof(CommentAdded))));
    }

    [Test]
    public void The_same_event_through_two_webhooks_has_the_same_keys_whatever_the_delivery_headers()
    {
        var body = PayloadFixtures.Read(Provider.GitHub, "issue_comment.created.json");
        var one = _parser.Parse(body, HeadersFor("issue_comment", Guid.NewGuid().ToString()));
        var two = _parser.Parse(body, HeadersFor("issue_comment", Guid.NewGuid().ToString()));

        Assert.That(one.Changes.Select(c => c.SourceEventId), Is.EqualTo(two.Changes.Select(c => c.SourceEventId)));
    }

    [Test]
    public void A_form_encoded_delivery_parses_like_the_json_one()
    {
        var json = PayloadFixtures.ReadText(Provider.GitHub, "issue_comment.created.json");
        var form = Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(json));

        Assert.That(Parse("issue_comment", form).Changes, Is.EqualTo(ParseFixture("issue_comment.created.json").Changes));
    }

    [Test]
    public void The_event_header_is_read_whatever_its_case()
    {
        var headers = new Dictionary<string, string> { ["x-github-event"] = "issues" };

        Assert.That(_parser.Parse(PayloadFixtures.Read(Provider.GitHub, "issues.opened.json"), headers).Outcome, Is.EqualTo(ParseOutcome.Parsed));
    }

    [TestCase("push", "opened")]
    [TestCase("issues", "labeled")]
    [TestCase("issues", "transferred")]
    [TestCase("pull_request", "opened")]
    public void Events_the_workers_do_not_apply_are_ignored_with_their_names(string eventName, string action)
    {
        var result = Parse(eventName, Edit("issues.opened.json", json => json["action"] = action));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain(eventName).And.Contain(action));
    }

    [Test]
    public void A_delivery_without_the_event_header_fails()
    {
        var result = _parser.Parse(PayloadFixtures.Read(Provider.GitHub, "issues.opened.json"), new Dictionary<string, string>());

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("X-GitHub-Event"));
    }

    [TestCase("issues", "", "empty")]
    [TestCase("issues", "not json", "not a JSON object")]
    [TestCase("issues", "[1]", "not a JSON object")]
    [TestCase("issues", "null", "null")]
    [TestCase("issues", """{"issue":{"id":1,"updated_at":"2019-05-15T15:20:18Z"}}""", "no action")]
    [TestCase("issues", """{"action":"opened","issue":{"updated_at":"2019-05-15T15:20:18Z"}}""", "no issue.id")]
    [TestCase("issues", """{"action":"opened","issue":{"id":"not a number"}}""", "not a JSON object")]
    [TestCase("issues", """{"action":"closed","issue":{"id":1,"updated_at":"soon"}}""", "no readable updated_at")]
    [TestCase("issue_comment", """{"action":"created","issue":{"id":1,"updated_at":"2019-05-15T15:20:18Z"}}""", "no comment.id")]
    [TestCase("issue_comment", """{"action":"created","issue":{"id":1,"updated_at":"2019-05-15T15:20:18Z"},"comment":{"id":2}}""", "no readable updated_at")]
    public void Payload_that_is_not_a_GitHub_webhook_fails_with_a_clear_reason(string eventName, string body, string reason)
    {
        var result = Parse(eventName, Encoding.UTF8.GetBytes(body));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a GitHub webhook").And.Contain(reason));
    }
}
