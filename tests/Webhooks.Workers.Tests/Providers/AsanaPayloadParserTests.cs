using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Asana;

namespace Webhooks.Workers.Tests.Providers;

public sealed class AsanaPayloadParserTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];
    private readonly AsanaPayloadParser _parser = new();

    private ParseResult Parse(string body) => _parser.Parse(Encoding.UTF8.GetBytes(body), NoHeaders);

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Asana);

    /// <summary>One Asana event as the API documents it (providers.md §4.1).</summary>
    public static string Event(string resourceGid, string resourceType, string action, string? field = null, string? parentGid = null,
        string? parentType = null, string subtype = "default_task", string createdAt = "2021-10-29T02:44:21.987Z", string userGid = "1198829643564474")
    {
        var json = new JsonObject
        {
            ["user"] = new JsonObject { ["gid"] = userGid, ["resource_type"] = "user" },
            ["created_at"] = createdAt,
            ["action"] = action,
            ["parent"] = parentGid is null ? null : new JsonObject { ["gid"] = parentGid, ["resource_type"] = parentType },
            ["resource"] = new JsonObject { ["gid"] = resourceGid, ["resource_type"] = resourceType, ["resource_subtype"] = subtype },
        };
        if (field is not null)
        {
            json["change"] = new JsonObject { ["field"] = field, ["action"] = "changed" };
        }
        return json.ToJsonString();
    }

    public static string Events(params string[] events) => $$"""{"events":[{{string.Join(",", events)}}]}""";

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_into_changes_of_its_task(string fixture)
    {
        var body = PayloadFixtures.Read(Provider.Asana, fixture);
        using var json = JsonDocument.Parse(body);
        var taskGids = json.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("gid").GetString()).ToList();

        var result = _parser.Parse(body, NoHeaders);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Has.Count.EqualTo(taskGids.Count));
        Assert.That(result.Changes.Select(c => c.ExternalItemId), Is.EqualTo(taskGids));
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith("asana:"));
    }

    [Test]
    public void Completed_change_names_the_task_to_fetch_and_keys_on_every_part_of_the_event()
    {
        var changes = _parser.Parse(PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json"), NoHeaders).Changes.Cast<ChangedInSender>().ToList();

        var completed = changes[0];
        Assert.That(completed.SourceEventId, Is.EqualTo("asana:1199170056173519:changed:completed:2021-10-29T02:44:21.987Z:1198829643564474:"));
        Assert.That(completed.SourceTimestamp, Is.EqualTo(DateTimeOffset.Parse("2021-10-29T02:44:21.987Z", CultureInfo.InvariantCulture)));
        Assert.That(completed.Fetch, Is.EqualTo(new ItemReference("task", "1199170056173519", Field: "completed")));
        Assert.That(completed.Description, Is.EqualTo("task completed changed"));
        // Same task, same instant: only change.field tells the two apart (providers.md §4.5).
        Assert.That(changes[1].SourceEventId, Is.Not.EqualTo(completed.SourceEventId));
        Assert.That(changes[1].Fetch, Is.Null, "completed_at has nothing the record shows: history only");
    }

    [Test]
    public void Old_format_change_without_a_change_object_fetches_the_whole_task()
    {
        var change = (ChangedInSender)_parser.Parse(PayloadFixtures.Read(Provider.Asana, "task_changed.json"), NoHeaders).Changes.Single();

        Assert.That(change.Fetch, Is.EqualTo(new ItemReference("task", "1154849068499809")));
        Assert.That(change.Description, Is.EqualTo("task changed"));
    }

    [TestCase("name")]
    [TestCase("notes")]
    public void Name_and_notes_changes_are_fetched(string field)
    {
        var change = (ChangedInSender)Parse(Events(Event("7", "task", "changed", field))).Changes.Single();

        Assert.That(change.Fetch, Is.EqualTo(new ItemReference("task", "7", Field: field)));
    }

    [Test]
    public void Comment_story_added_belongs_to_its_parent_task_and_fetches_the_story()
    {
        var change = (ChangedInSender)Parse(Events(Event("55", "story", "added", parentGid: "7", parentType: "task", subtype: "comment_added"))).Changes.Single();

        Assert.That(change.ExternalItemId, Is.EqualTo("7"));
        Assert.That(change.Fetch, Is.EqualTo(new ItemReference("story", "55", Field: "added")));
    }

    [Test]
    public void Comment_story_changed_and_removed_are_an_edit_to_fetch_and_a_deletion()
    {
        var changes = Parse(Events(
            Event("55", "story", "changed", parentGid: "7", parentType: "task", subtype: "comment_added", createdAt: "2021-10-29T02:45:00.000Z"),
            Event("55", "story", "removed", parentGid: "7", parentType: "task", subtype: "comment_added", createdAt: "2021-10-29T02:46:00.000Z"))).Changes;

        Assert.That(((ChangedInSender)changes[0]).Fetch, Is.EqualTo(new ItemReference("story", "55", Field: "changed")));
        Assert.That(changes[1], Is.EqualTo(new CommentDeleted("7", "asana:55:removed::2021-10-29T02:46:00.000Z:1198829643564474:7",
            DateTimeOffset.Parse("2021-10-29T02:46:00Z", CultureInfo.InvariantCulture), "55")));
    }

    [Test]
    public void Comment_edit_without_a_parent_leaves_its_task_to_the_fetch()
    {
        var change = (ChangedInSender)Parse(Events(Event("55", "story", "changed", subtype: "comment_added"))).Changes.Single();

        Assert.That(change.ExternalItemId, Is.EqualTo("asana:story:55"));
        Assert.That(change.Fetch, Is.EqualTo(new ItemReference("story", "55", Field: "changed", ItemUnknown: true)));
    }

    [Test]
    public void A_restored_comment_without_a_parent_is_a_restore_whose_task_the_fetch_finds()
    {
        // Asana names a parent on added and removed only (providers.md §4.1): an undeleted story comes without one.
        var change = (ChangedInSender)Parse(Events(Event("55", "story", "undeleted", subtype: "comment_added"))).Changes.Single();

        Assert.That((change.ExternalItemId, change.Description), Is.EqualTo(("asana:story:55", "comment 55 restored")));
        Assert.That(change.Fetch, Is.EqualTo(new ItemReference("story", "55", Field: "undeleted", ItemUnknown: true)));
    }

    [Test]
    public void Task_added_deleted_undeleted_and_section_moves()
    {
        var changes = Parse(Events(
            Event("7", "task", "added", parentGid: "300", parentType: "project"),
            Event("7", "task", "added", parentGid: "400", parentType: "section"),
            Event("7", "task", "removed", parentGid: "300", parentType: "project"),
            Event("7", "task", "deleted"),
            Event("7", "task", "undeleted"))).Changes;

        Assert.That(changes[0], Is.TypeOf<ItemCreated>());
        Assert.That(((ChangedInSender)changes[1]).Fetch, Is.EqualTo(new ItemReference("task", "7", Field: "section:400")));
        Assert.That(((ChangedInSender)changes[2]).Description, Is.EqualTo("task removed from project 300"));
        Assert.That(changes[3], Is.TypeOf<ItemDeleted>());
        Assert.That(((ChangedInSender)changes[4]).Description, Is.EqualTo("task undeleted"));
        Assert.That(changes.Select(c => c.SourceEventId).Distinct().Count(), Is.EqualTo(5));
    }

    [Test]
    public void Heartbeat_is_ignored()
    {
        var result = Parse("""{"events":[]}""");

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Ignored, "Asana heartbeat (no events).")));
    }

    [Test]
    public void Only_system_stories_and_projects_are_ignored_naming_them()
    {
        var result = Parse(Events(Event("9", "story", "added", parentGid: "7", parentType: "task", subtype: "assigned"), Event("300", "project", "changed", "name")));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("story/assigned added").And.Contain("project"));
    }

    [TestCase("", "empty")]
    [TestCase("not json", "not a JSON object")]
    [TestCase("[1]", "not a JSON object")]
    [TestCase("null", "no events array")]
    [TestCase("""{"data":{}}""", "no events array")]
    [TestCase("""{"events":[{"action":"changed","created_at":"2021-10-29T02:44:21.987Z"}]}""", "no resource.gid")]
    [TestCase("""{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}""", "no readable created_at")]
    [TestCase("""{"events":[{"resource":{"gid":"1","resource_type":"task"},"created_at":"2021-10-29T02:44:21.987Z"}]}""", "no resource.gid, resource.resource_type or action")]
    public void Payload_that_is_not_an_Asana_webhook_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not an Asana webhook").And.Contain(reason));
    }
}
