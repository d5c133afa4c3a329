using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Jira;

namespace Webhooks.Workers.Tests.Providers;

public sealed class JiraPayloadParserTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];
    private readonly JiraPayloadParser _parser = new();

    private ParseResult Parse(byte[] body) => _parser.Parse(body, NoHeaders);

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Jira);

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_into_changes_of_its_issue(string fixture)
    {
        var body = PayloadFixtures.Read(Provider.Jira, fixture);
        using var json = JsonDocument.Parse(body);
        var issueId = json.RootElement.GetProperty("issue").GetProperty("id").GetString();

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Is.Not.Empty);
        Assert.That(result.Changes.Select(c => c.ExternalItemId), Has.All.EqualTo(issueId));
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith("jira:"));
    }

    [Test]
    public void Comment_created_is_a_comment_added_keyed_on_the_comment_id_and_its_updated_time()
    {
        var change = Parse(PayloadFixtures.Read(Provider.Jira, "comment_created.json")).Changes.Single();

        Assert.That(change, Is.EqualTo(new CommentAdded("10040", "jira:comment:10019:created:2019-02-15T19:11:18.321-0800",
            DateTimeOffset.Parse("2019-02-16T03:11:18.321Z", System.Globalization.CultureInfo.InvariantCulture), "10019", "Added a comment", "Test User")));
    }

    [Test]
    public void Comment_updated_is_a_comment_edit_ordered_by_the_comment_updated_time()
    {
        var change = (CommentEdited)Parse(PayloadFixtures.Read(Provider.Jira, "comment_updated.json")).Changes.Single();

        Assert.That(change.CommentId, Is.EqualTo("10019"));
        Assert.That(change.Body, Is.EqualTo("Added a comment, then edited it"));
        Assert.That(change.SourceEventId, Is.EqualTo("jira:comment:10019:updated:2019-02-15T19:12:08.432-0800"));
        Assert.That(change.SourceTimestamp, Is.EqualTo(new DateTimeOffset(2019, 2, 15, 19, 12, 8, 432, TimeSpan.FromHours(-8))));
    }

    [Test]
    public void Comment_deleted_is_a_comment_deletion()
    {
        var change = (CommentDeleted)Parse(PayloadFixtures.Read(Provider.Jira, "comment_deleted.json")).Changes.Single();

        Assert.That((change.ExternalItemId, change.CommentId), Is.EqualTo(("10357", "10757")));
    }

    [Test]
    public void Issue_commented_update_carries_the_same_comment_key_as_comment_created()
    {
        var fromUpdate = Parse(JiraPayloads.IssueCommented()).Changes.Single();
        var fromCommentEvent = Parse(PayloadFixtures.Read(Provider.Jira, "comment_created.json")).Changes.Single();

        Assert.That(fromUpdate.SourceEventId, Is.EqualTo(fromCommentEvent.SourceEventId));
        Assert.That(fromUpdate, Is.TypeOf<CommentAdded>());
    }

    [Test]
    public void Status_transition_is_a_status_change_to_the_target_status_name_ordered_by_the_event_timestamp()
    {
        var changes = Parse(PayloadFixtures.Read(Provider.Jira, "jira_issue_updated.status_done.json")).Changes;

        var status = changes.OfType<StatusChanged>().Single();
        Assert.That((status.OldStatus, status.NewStatus), Is.EqualTo(("In Progress", "Done")));
        Assert.That(status.SourceEventId, Is.EqualTo("jira:changelog:10228:status"));
        Assert.That(status.SourceTimestamp, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(1550286940507)));
        var other = changes.OfType<FieldChanged>().Single();
        Assert.That((other.Field, other.NewValue), Is.EqualTo(("jira:resolution", "Done")));
    }

    [Test]
    public void Summary_and_description_changes_become_name_and_description()
    {
        var name = (FieldChanged)Parse(JiraPayloads.IssueUpdated("1", "summary", "a", "b", 1)).Changes.Single();
        var description = (FieldChanged)Parse(JiraPayloads.IssueUpdated("2", "description", null, "d", 1)).Changes.Single();

        Assert.That((name.Field, name.NewValue), Is.EqualTo((RecordFields.Name, "b")));
        Assert.That((description.Field, description.NewValue), Is.EqualTo((RecordFields.Description, "d")));
    }

    [Test]
    public void Two_changelog_items_for_one_field_are_two_changes_with_their_own_keys()
    {
        // A version swap: Jira writes one change group with the old version removed and the new one added.
        var changes = Parse(JiraPayloads.VersionSwap("10300", "7.1", "11364", "7.2", "13200")).Changes.Cast<FieldChanged>().ToList();

        Assert.That(changes.Select(c => (c.Field, c.OldValue, c.NewValue)), Is.EqualTo(new[]
        {
            ("jira:fixVersions", (string?)"7.1", (string?)null),
            ("jira:fixVersions", (string?)null, (string?)"7.2"),
        }));
        Assert.That(changes.Select(c => c.SourceEventId), Is.EqualTo(new[] { "jira:changelog:10300:fixVersions", "jira:changelog:10300:fixVersions:2" }));
    }

    [TestCase(99_999_999_999_999_999L)]
    [TestCase(-99_999_999_999_999_999L)]
    [TestCase(long.MaxValue)]
    public void A_timestamp_outside_any_date_fails_with_the_reason(long timestamp)
    {
        var body = JiraPayloads.Edit("jira_issue_updated.status_done.json", json => json["timestamp"] = timestamp);

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Jira webhook").And.Contain("timestamp").And.Contain(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void A_comment_event_without_the_webhooks_timestamp_is_ordered_by_the_comments_own_time()
    {
        var body = JiraPayloads.Edit("comment_created.json", json => json.Remove("timestamp"));

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes.Single().SourceTimestamp, Is.EqualTo(DateTimeOffset.Parse("2019-02-15T19:11:18.321-08:00", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void An_issue_event_without_the_webhooks_timestamp_is_ordered_by_the_issues_updated_time()
    {
        var body = JiraPayloads.Edit("jira_issue_updated.status_done.json", json => json.Remove("timestamp"));

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes.Select(c => c.SourceTimestamp).Distinct(),
            Is.EqualTo(new[] { DateTimeOffset.Parse("2019-02-15T19:15:40.477-08:00", System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Test]
    public void A_NUL_in_a_comment_is_kept_as_the_replacement_character_in_the_body_the_author_and_the_reason_never_as_NUL()
    {
        // JSON may carry \u0000; PostgreSQL's text cannot.
        var comment = Parse(JiraPayloads.CommentCreatedWithNul()).Changes.Cast<CommentAdded>().Single();
        var unreadable = Parse(JiraPayloads.Edit("comment_created.json", json => json["comment"]!["updated"] = "when\u0000?"));

        Assert.That(comment.Body, Is.EqualTo("Added a\uFFFDcomment"));
        Assert.That(comment.Author, Is.EqualTo("Test\uFFFDUser"));
        Assert.That(unreadable.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(unreadable.Reason, Does.Contain("when\uFFFD?").And.Not.Contain("\0"));
    }

    [Test]
    public void Issue_created_and_deleted_are_keyed_on_the_issue_and_the_event()
    {
        var created = Parse(PayloadFixtures.Read(Provider.Jira, "jira_issue_created.json")).Changes.Single();
        var deleted = Parse(PayloadFixtures.Read(Provider.Jira, "jira_issue_deleted.json")).Changes.Single();

        Assert.That(created, Is.TypeOf<ItemCreated>());
        Assert.That(created.SourceEventId, Is.EqualTo("jira:10040:jira:issue_created"));
        Assert.That(deleted, Is.TypeOf<ItemDeleted>());
        Assert.That(deleted.SourceEventId, Is.EqualTo("jira:10303:jira:issue_deleted"));
    }

    [Test]
    public void Unknown_event_is_ignored_with_its_name()
    {
        var result = Parse(Encoding.UTF8.GetBytes("""{"timestamp":1,"webhookEvent":"jira:worklog_updated","issue":{"id":"1"}}"""));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("jira:worklog_updated"));
    }

    [TestCase("", "empty")]
    [TestCase("not json at all", "not a JSON object")]
    [TestCase("""{"timestamp":1550286678321,"webhookEvent":"comment_created","comment":{"id":"1""", "not a JSON object")]
    [TestCase("[1,2,3]", "not a JSON object")]
    [TestCase("null", "null")]
    [TestCase("""{"timestamp":1,"comment":{"id":"1"}}""", "no webhookEvent")]
    [TestCase("""{"timestamp":1,"webhookEvent":"comment_created","comment":{"id":"1","updated":"2019-02-15T19:11:18.321-0800"}}""", "no issue.id")]
    [TestCase("""{"webhookEvent":"jira:issue_deleted","issue":{"id":"1"}}""", "no timestamp")]
    [TestCase("""{"timestamp":1,"webhookEvent":"comment_created","issue":{"id":"1"}}""", "no comment.id")]
    [TestCase("""{"timestamp":1,"webhookEvent":"comment_created","issue":{"id":"1"},"comment":{"id":"5","updated":"yesterday"}}""", "no readable 'updated' time")]
    public void Payload_that_is_not_a_Jira_webhook_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(Encoding.UTF8.GetBytes(body));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Jira webhook").And.Contain(reason));
    }
}
