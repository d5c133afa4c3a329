using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Rally;

namespace Webhooks.Workers.Tests.Providers;

public sealed class RallyPayloadParserTests
{
    private const string InvestmentId = "a75e6aba-670c-4954-8c34-4cd3f7ffbc8f";
    private static readonly Dictionary<string, string> NoHeaders = [];
    /// <summary>The recorded messages' transaction.timestamp (epoch milliseconds), each its state's LastUpdateDate.</summary>
    private static readonly DateTimeOffset CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_667_525_429_619);
    private static readonly DateTimeOffset UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_667_525_660_529);
    private readonly RallyPayloadParser _parser = new();

    private ParseResult Parse(byte[] body) => _parser.Parse(body, NoHeaders);

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Rally);

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_into_changes_of_its_object_keyed_on_the_message(string fixture)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Rally, fixture))!;
        var messageId = json["message"]!["message_id"]!.GetValue<string>();

        var result = Parse(PayloadFixtures.Read(Provider.Rally, fixture));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Is.Not.Empty);
        Assert.That(result.Changes.Select(c => c.ExternalItemId), Has.All.EqualTo(InvestmentId));
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith($"rally:{messageId}:"));
        // The revision's own time (its transaction's, in epoch milliseconds), VersionId 2 microseconds after it.
        var revisionAt = DateTimeOffset.FromUnixTimeMilliseconds(json["message"]!["transaction"]!["timestamp"]!.GetValue<long>());
        Assert.That(result.Changes.Select(c => c.SourceTimestamp), Has.All.EqualTo(revisionAt.AddTicks(2 * TimeSpan.TicksPerMicrosecond)));
    }

    [Test]
    public void Created_is_an_item_created_with_its_name()
    {
        var change = Parse(PayloadFixtures.Read(Provider.Rally, "investment.created.json")).Changes.Single();

        Assert.That(change, Is.EqualTo(new ItemCreated(InvestmentId, "rally:a51f6dc9-c049-457a-93c1-21faeffd52e4:created",
            CreatedAt.AddTicks(2 * TimeSpan.TicksPerMicrosecond), "Test reflector create new Investment")));
    }

    [Test]
    public void An_attribute_without_a_record_column_is_recorded_by_its_name()
    {
        var change = (FieldChanged)Parse(PayloadFixtures.Read(Provider.Rally, "investment.updated.json")).Changes.Single();

        Assert.That((change.Field, change.OldValue, change.NewValue), Is.EqualTo(("rally:InvestmentCategory", "None", "Transformational")));
        Assert.That(change.SourceEventId, Is.EqualTo("rally:8b43d47f-f227-4fe3-a935-74316cd51fd0:InvestmentCategory"));
    }

    [Test]
    public void Schedule_state_name_and_description_changes_become_status_name_and_description()
    {
        var body = RallyPayloads.StoryUpdated("m-1", version: 7, changes: [
            RallyPayloads.Attribute("ScheduleState", "Accepted", "In-Progress"),
            RallyPayloads.Attribute("Name", "Better name", "Name"),
            RallyPayloads.Attribute("Description", "<p>New</p>", "<p>Old</p>"),
        ]);

        var changes = Parse(body).Changes;

        var status = (StatusChanged)changes[0];
        Assert.That((status.ExternalItemId, status.OldStatus, status.NewStatus, status.SourceEventId),
            Is.EqualTo((RallyPayloads.StoryId, "In-Progress", "Accepted", "rally:m-1:ScheduleState")));
        Assert.That(changes.Skip(1).Cast<FieldChanged>().Select(c => (c.Field, c.NewValue)),
            Is.EqualTo(new[] { (RecordFields.Name, (string?)"Better name"), (RecordFields.Description, (string?)"<p>New</p>") }));
        Assert.That(changes.Select(c => c.SourceTimestamp), Has.All.EqualTo(UpdatedAt.AddTicks(7 * TimeSpan.TicksPerMicrosecond)));
    }

    [Test]
    public void A_portfolio_item_state_given_as_an_object_is_read_by_its_name()
    {
        var state = new JsonObject { ["name"] = "Discovering", ["ref"] = "https://rally1.rallydev.com/slm/webservice/v2.x/state/1", ["object_type"] = "State" };
        var body = RallyPayloads.StoryUpdated("m-2", version: 3, objectType: "Feature",
            changes: [RallyPayloads.Attribute("State", state, null)]);

        var status = (StatusChanged)Parse(body).Changes.Single();

        Assert.That(status.NewStatus, Is.EqualTo("Discovering"));
    }

    [Test]
    public void The_source_time_is_the_revisions_own_time_comparable_with_other_senders()
    {
        // The recorded update's transaction.timestamp is its state's LastUpdateDate: 2022-11-04T01:34:20.529Z.
        var change = Parse(PayloadFixtures.Read(Provider.Rally, "investment.updated.json")).Changes.Single();

        Assert.That(change.SourceTimestamp, Is.EqualTo(DateTimeOffset.Parse("2022-11-04T01:34:20.529002Z", CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Without_a_transaction_time_the_VersionId_alone_orders()
    {
        var older = Parse(RallyPayloads.StoryUpdated("m-5", version: 9, changes: [RallyPayloads.Attribute("Name", "a", "b")], withTransaction: false)).Changes.Single();
        var newer = Parse(RallyPayloads.StoryUpdated("m-6", version: 10, changes: [RallyPayloads.Attribute("Name", "b", "a")], withTransaction: false)).Changes.Single();

        Assert.That((older.SourceTimestamp, newer.SourceTimestamp), Is.EqualTo((RallyPayloadParser.VersionTime(9), RallyPayloadParser.VersionTime(10))));
    }

    [Test]
    public void A_lower_version_orders_before_a_higher_one_whatever_the_send_time()
    {
        // Two revisions in the same millisecond (the recorded update's transaction time): VersionId orders them.
        var older = Parse(RallyPayloads.StoryUpdated("m-3", version: 9, changes: [RallyPayloads.Attribute("Name", "a", "b")])).Changes.Single();
        var newer = Parse(RallyPayloads.StoryUpdated("m-4", version: 10, changes: [RallyPayloads.Attribute("Name", "b", "a")])).Changes.Single();

        Assert.That(older.SourceTimestamp, Is.LessThan(newer.SourceTimestamp));
    }

    [Test]
    public void Without_a_message_id_the_key_is_the_object_and_its_version()
    {
        var body = RallyPayloads.StoryUpdated(null, version: 5, changes: [RallyPayloads.Attribute("Name", "x", "y")]);

        Assert.That(Parse(body).Changes.Single().SourceEventId, Is.EqualTo($"rally:{RallyPayloads.StoryId}:v5:Name"));
    }

    [Test]
    public void A_created_story_starts_in_its_schedule_state()
    {
        var body = RallyPayloads.Edit("investment.created.json", message =>
        {
            message["object_type"] = "HierarchicalRequirement";
            message["state"]!["b0000000-0000-0000-0000-000000000001"] = RallyPayloads.Attribute("ScheduleState", "Defined", null);
        });

        var changes = Parse(body).Changes;

        Assert.That(changes.OfType<StatusChanged>().Single().NewStatus, Is.EqualTo("Defined"));
    }

    [Test]
    public void Deleted_is_an_item_deletion()
    {
        var change = Parse(RallyPayloads.Edit("investment.updated.json", message => message["action"] = "Deleted")).Changes.Single();

        Assert.That(change, Is.EqualTo(new ItemDeleted(InvestmentId, "rally:8b43d47f-f227-4fe3-a935-74316cd51fd0:deleted", UpdatedAt.AddTicks(2 * TimeSpan.TicksPerMicrosecond))));
    }

    [Test]
    public void A_discussion_post_is_a_comment_on_the_artifact_it_names()
    {
        var added = (CommentAdded)Parse(RallyPayloads.Post("Created", "p-1", "c0000000-0000-0000-0000-0000000000aa", "<p>Looks good</p>", version: 1)).Changes.Single();
        var edited = (CommentEdited)Parse(RallyPayloads.Post("Updated", "p-2", "c0000000-0000-0000-0000-0000000000aa", "<p>Looks great</p>", version: 2)).Changes.Single();
        var deleted = (CommentDeleted)Parse(RallyPayloads.Post("Deleted", "p-3", "c0000000-0000-0000-0000-0000000000aa", "", version: 3)).Changes.Single();

        Assert.That((added.ExternalItemId, added.CommentId, added.Body, added.Author),
            Is.EqualTo((RallyPayloads.StoryId, "c0000000-0000-0000-0000-0000000000aa", "<p>Looks good</p>", "Carlos Munoz")));
        Assert.That((edited.CommentId, edited.Body), Is.EqualTo(("c0000000-0000-0000-0000-0000000000aa", "<p>Looks great</p>")));
        Assert.That((deleted.ExternalItemId, deleted.CommentId), Is.EqualTo((RallyPayloads.StoryId, "c0000000-0000-0000-0000-0000000000aa")));
    }

    [Test]
    public void A_version_beyond_any_date_is_not_an_order_and_the_update_fails()
    {
        var result = Parse(RallyPayloads.StoryUpdated("m-5", version: long.MaxValue, changes: [RallyPayloads.Attribute("Name", "x", "y")]));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("not a revision number").And.Contain(long.MaxValue.ToString(CultureInfo.InvariantCulture)));
    }

    [Test]
    public void A_VersionId_written_as_a_numeric_string_is_the_revision_it_names()
    {
        // The recorded update, with its Integer-typed VersionId written as "2" instead of 2 (in state and in changes).
        var body = RallyPayloads.Edit("investment.updated.json", message =>
        {
            message["state"]![RallyPayloads.VersionIdKey]!["value"] = "2";
            message["changes"]![RallyPayloads.VersionIdKey]!["value"] = "2";
            message["changes"]![RallyPayloads.VersionIdKey]!["old_value"] = "1";
        });

        var asString = Parse(body);
        var asNumber = Parse(PayloadFixtures.Read(Provider.Rally, "investment.updated.json"));

        Assert.That(asString.Outcome, Is.EqualTo(ParseOutcome.Parsed), asString.Reason);
        Assert.That(asString.Changes, Is.EqualTo(asNumber.Changes));
        Assert.That(asString.Changes.Select(c => c.SourceTimestamp), Has.All.EqualTo(UpdatedAt.AddTicks(2 * TimeSpan.TicksPerMicrosecond)));
    }

    [TestCase("\"two\"", "\"two\"")]
    [TestCase("\"-2\"", "\"-2\"")]
    [TestCase("\"2.5\"", "\"2.5\"")]
    [TestCase("true", "true")]
    public void A_VersionId_that_names_no_revision_fails_the_delivery_naming_it(string version, string named)
    {
        var body = RallyPayloads.Edit("investment.updated.json", message => message["state"]![RallyPayloads.VersionIdKey]!["value"] = JsonNode.Parse(version));

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Rally webhook").And.Contain("VersionId").And.Contain(named));
    }

    [Test]
    public void A_body_that_is_not_UTF_8_fails_with_a_reason()
    {
        var body = PayloadFixtures.Read(Provider.Rally, "investment.created.json");
        // A byte that is never UTF-8, inside a string value of the recorded message (the first value after "message_id").
        body[Encoding.UTF8.GetString(body).IndexOf("\"message_id\"", StringComparison.Ordinal) + 16] = 0xFF;

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("UTF-8"));
    }

    [TestCase("Iteration")]
    [TestCase("Release")]
    public void Changes_to_objects_that_are_not_work_items_are_ignored(string objectType)
    {
        var result = Parse(RallyPayloads.Edit("investment.updated.json", message => message["object_type"] = objectType));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain(objectType));
    }

    [Test]
    public void An_unknown_action_is_ignored_with_its_name()
    {
        var result = Parse(RallyPayloads.Edit("investment.updated.json", message => message["action"] = "Recycled"));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("Recycled"));
    }

    [TestCase("", "empty")]
    [TestCase("<xml/>", "not JSON")]
    [TestCase("[1]", "no message")]
    [TestCase("""{"rule":{}}""", "no message")]
    [TestCase("""{"message":{"object_id":"x"}}""", "no action or object_type")]
    [TestCase("""{"message":{"action":"Updated","object_type":"Defect"}}""", "no object_id")]
    [TestCase("""{"message":{"action":"Updated","object_type":"Defect","object_id":"x"}}""", "neither a message_id nor a state.VersionId")]
    [TestCase("""{"message":{"action":"Updated","object_type":"Defect","object_id":"x","message_id":"m","changes":{}}}""", "no state.VersionId")]
    [TestCase("""{"message":{"action":"Created","object_type":"ConversationPost","object_id":"x","message_id":"m","transaction":{"timestamp":1}}}""", "no state.Artifact")]
    public void Payload_that_is_not_a_Rally_webhook_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(Encoding.UTF8.GetBytes(body));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Rally webhook").And.Contain(reason));
    }
}

/// <summary>
/// Rally change messages no recording covers (stories, deletes, discussion posts), made from the recorded Investment
/// messages: same envelope, attributes in the recorded <c>{value, old_value, type, name, display_name, ref}</c> shape.
/// </summary>
public static class RallyPayloads
{
    public const string StoryId = "5c1ab7e2-0000-4000-8000-00000000a001";
    public const string VersionIdKey = "f5b1fb22-6c15-44b5-a592-19189fafe5f2";

    public static byte[] Edit(string fixture, Action<JsonObject> message)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Rally, fixture))!.AsObject();
        message(json["message"]!.AsObject());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    public static JsonObject Attribute(string name, JsonNode? value, JsonNode? oldValue) => new()
    {
        ["value"] = value, ["old_value"] = oldValue, ["added"] = null, ["removed"] = null,
        ["type"] = name == "Description" ? "Text" : "String", ["name"] = name, ["display_name"] = name, ["ref"] = null,
    };

    /// <summary>An Updated message for the story <see cref="StoryId"/> at <paramref name="version"/> with these changed attributes.</summary>
    public static byte[] StoryUpdated(string? messageId, long version, JsonObject[] changes, string objectType = "HierarchicalRequirement", bool withTransaction = true) =>
        Edit("investment.updated.json", message =>
        {
            if (!withTransaction)
            {
                message.Remove("transaction");
            }
            message["object_type"] = objectType;
            message["object_id"] = StoryId;
            message["id"] = StoryId;
            if (messageId is null)
            {
                message.Remove("message_id");
            }
            else
            {
                message["message_id"] = messageId;
            }
            message["state"]![VersionIdKey]!["value"] = version;
            var changed = new JsonObject { [VersionIdKey] = Attribute("VersionId", version, version - 1) };
            for (var i = 0; i < changes.Length; i++)
            {
                changed[$"a0000000-0000-0000-0000-{i:D12}"] = changes[i];
            }
            message["changes"] = changed;
        });

    /// <summary>A ConversationPost change: Rally's discussion reply, whose Artifact is the story <see cref="StoryId"/>.</summary>
    public static byte[] Post(string action, string messageId, string postId, string text, long version) =>
        Edit("investment.created.json", message =>
        {
            message["action"] = action;
            message["object_type"] = "ConversationPost";
            message["object_id"] = postId;
            message["id"] = postId;
            message["message_id"] = messageId;
            message["changes"] = new JsonObject();
            message["state"] = new JsonObject
            {
                [VersionIdKey] = Attribute("VersionId", version, null),
                ["d0000000-0000-0000-0000-000000000001"] = Attribute("Text", text, null),
                ["d0000000-0000-0000-0000-000000000002"] = Attribute("Artifact", new JsonObject
                {
                    ["name"] = "A story", ["ref"] = $"https://rally1.rallydev.com/slm/webservice/v2.x/hierarchicalrequirement/{StoryId}",
                    ["detail_link"] = null, ["id"] = StoryId, ["object_type"] = "HierarchicalRequirement",
                }, null),
                ["d0000000-0000-0000-0000-000000000003"] = Attribute("User", new JsonObject
                {
                    ["name"] = "Carlos Munoz", ["ref"] = "https://rally1.rallydev.com/slm/webservice/v2.x/user/4b44597c-348b-4874-a4b5-e634c0152a80",
                    ["id"] = "4b44597c-348b-4874-a4b5-e634c0152a80", ["object_type"] = "User",
                }, null),
            };
        });
}
