using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Standard;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// The standard parser over the recorded Standard Webhooks payloads (the specification's examples, OpenAI's signed
/// delivery) and payloads built from the specification's envelope, under an integration's settings.mapping.
/// </summary>
public sealed class StandardPayloadParserTests
{
    private const string ContactId = "1f81eb52-5198-4599-803e-771906343485";
    private const string MessageId = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    private static readonly DateTimeOffset SpecTime = DateTimeOffset.Parse("2022-11-03T20:26:10.344522Z", CultureInfo.InvariantCulture);

    /// <summary>A mapping for every recorded payload's type, and the comment and deletion types the tests build.</summary>
    private const string Mapping = """
        {"mapping": {"itemId": "/data/id", "types": {
          "contact.created": {"name": "/data/fullName", "description": "/data/occupation"},
          "example.event": {"status": "/data/foo"},
          "contact.updated": {"status": "/data/status", "name": "/data/fullName", "description": "/data/occupation"},
          "contact.commented": {"commentId": "/data/comment/id", "commentBody": "/data/comment/body", "commentAuthor": "/data/comment/author"},
          "contact.comment_deleted": {"commentId": "/data/comment/id", "deleted": true},
          "contact.deleted": {"deleted": true}}}}
        """;

    /// <summary>OpenAI names the event time created_at (Unix seconds) and sends thin payloads: its type is the status.</summary>
    private const string OpenAiMapping = """
        {"mapping": {"itemId": "/data/id", "timestamp": "/created_at", "types": {"response.completed": {"status": "/type"}}}}
        """;

    private readonly StandardPayloadParser _parser = new();

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Standard);

    private static Integration Integration(string settings) => new() { Name = "Standard sender", TokenHash = [], Settings = settings };

    /// <summary>The recorded headers; a payload recorded without them gets the specification's example webhook-id.</summary>
    private static Dictionary<string, string> Headers(string fixture)
    {
        var headers = PayloadFixtures.RecordedHeaders(Provider.Standard, fixture);
        headers.TryAdd("webhook-id", MessageId);
        return headers;
    }

    private ParseResult ParseFixture(string fixture, string settings = Mapping) =>
        _parser.Parse(PayloadFixtures.Read(Provider.Standard, fixture), Headers(fixture), Integration(settings));

    private ParseResult Parse(JsonNode payload, string settings = Mapping, string? webhookId = MessageId) =>
        _parser.Parse(Encoding.UTF8.GetBytes(payload.ToJsonString()),
            webhookId is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["webhook-id"] = webhookId }, Integration(settings));

    /// <summary>The specification's full contact.created payload, changed.</summary>
    private static JsonObject Contact(Action<JsonObject>? change = null)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Standard, "contact.created.full.json"))!.AsObject();
        change?.Invoke(json);
        return json;
    }

    [TestCase("""{"type":"\ud800","data":{"id":"1"}}""", TestName = "the type")]
    [TestCase("""{"type":"contact.updated","timestamp":"2022-11-03T20:26:10Z","data":{"id":"\udc00","status":"active"}}""", TestName = "the item id")]
    [TestCase("""{"type":"contact.updated","timestamp":"2022-11-03T20:26:10Z","data":{"id":"1f81eb52","status":"\ud800x"}}""", TestName = "a mapped value")]
    [TestCase("""{"type":"contact.commented","timestamp":"2022-11-03T20:26:10Z","data":{"id":"1f81eb52","comment":{"id":"c1","body":"\udfff","author":"J"}}}""", TestName = "a comment body")]
    [TestCase("""{"type":"contact.updated","timestamp":"\ud800","data":{"id":"1f81eb52","status":"active"}}""", TestName = "the timestamp")]
    public void A_string_escaping_half_a_surrogate_pair_fails_with_a_reason_and_never_throws(string payload)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes(payload), new Dictionary<string, string> { ["webhook-id"] = MessageId }, Integration(Mapping));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed), result.Reason);
        Assert.That(result.Reason, Does.Contain("not valid Unicode"));
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_or_is_refused_with_a_reason(string fixture)
    {
        var result = fixture.StartsWith("response.", StringComparison.Ordinal) ? ParseFixture(fixture, OpenAiMapping) : ParseFixture(fixture);

        Assert.That(result.Reason ?? "", result.Outcome == ParseOutcome.Parsed ? Is.Empty : Is.Not.Empty);
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith($"standard:{Headers(fixture)["webhook-id"]}:"));
        if (fixture == "reference_vector.json")
        {
            Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed, "Not a Standard Webhooks payload: it has no \"type\" naming the event.")));
        }
    }

    [Test]
    public void The_specifications_contact_sets_name_and_description_at_the_events_time()
    {
        var result = ParseFixture("contact.created.full.json");

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Is.EqualTo(new NormalizedChange[]
        {
            new FieldChanged(ContactId, $"standard:{MessageId}:contact.created:{ContactId}:name", SpecTime, RecordFields.Name, null, "John Smith"),
            new FieldChanged(ContactId, $"standard:{MessageId}:contact.created:{ContactId}:description", SpecTime, RecordFields.Description, null, "Engineer, ACME"),
        }));
    }

    [Test]
    public void A_thin_payload_without_the_mapped_values_is_ignored_naming_them()
    {
        var result = ParseFixture("contact.created.thin.json");

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Ignored,
            $"Event 'contact.created' of item {ContactId} changes nothing: the payload has no value at /data/fullName, /data/occupation.")));
    }

    [Test]
    public void An_event_type_not_in_the_mapping_is_ignored_with_its_type()
    {
        var result = ParseFixture("example.event.json", """{"mapping": {"itemId": "/data/id", "types": {"contact.created": {"name": "/data/fullName"}}}}""");

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Ignored, "Event type 'example.event' is not in the integration's settings.mapping.types.")));
    }

    [TestCase("{}")]
    [TestCase("""{"statusMappings": {"open": "in_progress"}, "mapping": null}""")]
    public void Without_a_mapping_every_event_is_ignored_with_the_reason(string settings)
    {
        var result = ParseFixture("contact.created.full.json", settings);
        var withoutIntegration = _parser.Parse(PayloadFixtures.Read(Provider.Standard, "contact.created.full.json"), Headers("contact.created.full.json"));

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Ignored,
            "Event 'contact.created' is not applied: the integration has no settings.mapping saying what its events change.")));
        Assert.That(withoutIntegration, Is.EqualTo(result));
    }

    [Test]
    public void OpenAIs_event_takes_its_time_from_created_at_and_its_status_from_its_type()
    {
        var result = ParseFixture("response.completed.json", OpenAiMapping);

        Assert.That(result.Changes, Is.EqualTo(new NormalizedChange[]
        {
            new StatusChanged("resp_123", "standard:wh_685c059ae39c8190af8c71ed1022a24d:response.completed:resp_123:status",
                DateTimeOffset.FromUnixTimeSeconds(1750861210), null, "response.completed"),
        }), result.Reason);
    }

    [TestCase(1654012591835L, "2022-05-31T15:56:31.835Z", TestName = "Unix milliseconds (Clerk's timestamp)")]
    [TestCase(1654012591L, "2022-05-31T15:56:31Z", TestName = "Unix seconds")]
    [TestCase(1654012591.5, "2022-05-31T15:56:31.5Z", TestName = "Unix seconds with a fraction")]
    [TestCase("2022-11-03T21:26:10.344522123+01:00", "2022-11-03T20:26:10.3445221Z", TestName = "RFC 3339 with nanoseconds and an offset")]
    [TestCase("2022-11-03t20:26:10z", "2022-11-03T20:26:10Z", TestName = "RFC 3339 in lower case")]
    public void The_event_time_is_read_from_RFC_3339_or_Unix_time(object timestamp, string expected)
    {
        var result = Parse(Contact(json => json["timestamp"] = JsonValue.Create(timestamp)));

        Assert.That(result.Changes.Select(c => c.SourceTimestamp),
            Has.All.EqualTo(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture)), result.Reason);
    }

    [TestCase(null, "has no usable time at /timestamp: there is no such value.", TestName = "no timestamp")]
    [TestCase("yesterday", "has no usable time at /timestamp: the text is not an RFC 3339 date and time", TestName = "not a date")]
    [TestCase("2022-11-03", "has no usable time at /timestamp: the text is not an RFC 3339 date and time", TestName = "a date without a time")]
    [TestCase(true, "has no usable time at /timestamp: it must be an RFC 3339 date and time", TestName = "a boolean")]
    [TestCase(1e300, "has no usable time at /timestamp: it must be", TestName = "a number past any date")]
    public void An_event_without_a_usable_time_fails_with_the_reason(object? timestamp, string reason)
    {
        var result = Parse(Contact(json =>
        {
            if (timestamp is null)
            {
                json.Remove("timestamp");
            }
            else
            {
                json["timestamp"] = JsonValue.Create(timestamp);
            }
        }));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Event 'contact.created' ").And.Contain(reason));
    }

    [Test]
    public void A_status_change_goes_through_the_status_mappings_by_its_sender_name()
    {
        var result = Parse(Contact(json =>
        {
            json["type"] = "contact.updated";
            json["data"]!["status"] = "archived";
        }));

        Assert.That(result.Changes.OfType<StatusChanged>().Single(),
            Is.EqualTo(new StatusChanged(ContactId, $"standard:{MessageId}:contact.updated:{ContactId}:status", SpecTime, null, "archived")));
    }

    [Test]
    public void A_description_sent_as_null_is_cleared_and_a_name_sent_as_null_is_left()
    {
        var result = Parse(Contact(json =>
        {
            json["type"] = "contact.updated";
            json["data"]!["fullName"] = null;
            json["data"]!["occupation"] = null;
        }));

        Assert.That(result.Changes, Is.EqualTo(new NormalizedChange[]
        {
            new FieldChanged(ContactId, $"standard:{MessageId}:contact.updated:{ContactId}:description", SpecTime, RecordFields.Description, null, null),
        }), result.Reason);
    }

    [Test]
    public void A_comment_is_added_with_its_senders_id_body_and_author()
    {
        var result = Parse(Contact(json =>
        {
            json["type"] = "contact.commented";
            json["data"]!["comment"] = new JsonObject { ["id"] = 4711, ["body"] = "Called, will call back.", ["author"] = "Jane Doe" };
        }));

        Assert.That(result.Changes, Is.EqualTo(new NormalizedChange[]
        {
            new CommentAdded(ContactId, $"standard:{MessageId}:contact.commented:{ContactId}:comment:4711", SpecTime, "4711", "Called, will call back.", "Jane Doe"),
        }), result.Reason);
    }

    [Test]
    public void A_comment_event_without_its_body_changes_nothing_and_says_where_it_looked()
    {
        var result = Parse(Contact(json =>
        {
            json["type"] = "contact.commented";
            json["data"]!["comment"] = new JsonObject { ["id"] = "c-2" };
        }));

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Ignored,
            $"Event 'contact.commented' of item {ContactId} changes nothing: the payload has no value at /data/comment/body.")));
    }

    [Test]
    public void Deleting_types_delete_the_comment_or_record_the_items_deletion()
    {
        var comment = Parse(Contact(json =>
        {
            json["type"] = "contact.comment_deleted";
            json["data"]!["comment"] = new JsonObject { ["id"] = "c-1" };
        }));
        var item = Parse(Contact(json => json["type"] = "contact.deleted"));

        Assert.Multiple(() =>
        {
            Assert.That(comment.Changes, Is.EqualTo(new NormalizedChange[]
                { new CommentDeleted(ContactId, $"standard:{MessageId}:contact.comment_deleted:{ContactId}:comment:c-1", SpecTime, "c-1") }));
            Assert.That(item.Changes, Is.EqualTo(new NormalizedChange[] { new ItemDeleted(ContactId, $"standard:{MessageId}:contact.deleted:{ContactId}:deleted", SpecTime) }));
        });
    }

    [Test]
    public void The_issues_example_with_every_key_in_one_type_changes_each_and_records_the_items_deletion_last()
    {
        // The issue's own example: one type naming every key, deleted: true among them (a comment id with a body is
        // not a comment's deletion, so deleted is the item's).
        const string IssuesExample = """
            {"mapping": {"itemId": "/data/id", "types": {"contact.changed": {"status": "/data/status", "name": "/data/fullName",
              "description": "/data/occupation", "commentId": "/data/comment/id", "commentBody": "/data/comment/body",
              "commentAuthor": "/data/comment/author", "deleted": true}}}}
            """;
        var result = Parse(Contact(json =>
        {
            json["type"] = "contact.changed";
            json["data"]!["status"] = "archived";
            json["data"]!["comment"] = new JsonObject { ["id"] = "c-9", ["body"] = "Closing this contact.", ["author"] = "Jane Doe" };
        }), IssuesExample);

        var key = $"standard:{MessageId}:contact.changed:{ContactId}";
        Assert.That(result.Changes, Is.EqualTo(new NormalizedChange[]
        {
            new StatusChanged(ContactId, $"{key}:status", SpecTime, null, "archived"),
            new FieldChanged(ContactId, $"{key}:name", SpecTime, RecordFields.Name, null, "John Smith"),
            new FieldChanged(ContactId, $"{key}:description", SpecTime, RecordFields.Description, null, "Engineer, ACME"),
            new CommentAdded(ContactId, $"{key}:comment:c-9", SpecTime, "c-9", "Closing this contact.", "Jane Doe"),
            new ItemDeleted(ContactId, $"{key}:deleted", SpecTime),
        }), result.Reason);
    }

    [Test]
    public void Pointers_follow_RFC_6901_into_escaped_names_and_arrays()
    {
        var settings = """{"mapping": {"itemId": "/data/a~1b/items/1/id", "types": {"x.y": {"name": "/data/m~0n"}}}}""";
        var payload = JsonNode.Parse("""{"type": "x.y", "timestamp": "2022-11-03T20:26:10.344522Z", "data": {"a/b": {"items": [{"id": 1}, {"id": 7}]}, "m~n": "Tilde"}}""")!;

        Assert.That(Parse(payload, settings).Changes, Is.EqualTo(new NormalizedChange[]
            { new FieldChanged("7", $"standard:{MessageId}:x.y:7:name", SpecTime, RecordFields.Name, null, "Tilde") }));
    }

    [Test]
    public void The_same_event_in_two_integrations_copies_has_the_same_keys_and_another_event_other_keys()
    {
        var reordered = """{"mapping": {"types": {"contact.created": {"description": "/data/occupation", "name": "/data/fullName"}}, "itemId": "/data/id"}}""";

        var first = Parse(Contact());
        var second = Parse(Contact(), reordered);
        var another = Parse(Contact(), webhookId: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4X");

        Assert.Multiple(() =>
        {
            Assert.That(second.Changes.Select(c => c.SourceEventId), Is.EquivalentTo(first.Changes.Select(c => c.SourceEventId)));
            Assert.That(another.Changes.Select(c => c.SourceEventId), Has.None.AnyOf(first.Changes.Select(c => c.SourceEventId).ToArray()));
        });
    }

    [TestCase("status", "/data", "settings.mapping status points at /data, which holds an object in this payload", TestName = "status at an object")]
    [TestCase("name", "/data/tags", "settings.mapping name points at /data/tags, which holds an array in this payload", TestName = "name at an array")]
    public void A_pointer_at_an_object_or_array_fails_naming_the_key_and_the_pointer(string key, string pointer, string reason)
    {
        var settings = new JsonObject
        {
            ["mapping"] = new JsonObject { ["itemId"] = "/data/id", ["types"] = new JsonObject { ["contact.created"] = new JsonObject { [key] = pointer } } },
        }.ToJsonString();

        var result = Parse(Contact(json => json["data"]!["tags"] = new JsonArray("a")), settings);

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed, $"{reason}; it must point at a string or a number.")));
    }

    [Test]
    public void An_item_id_that_is_not_in_the_payload_fails_naming_the_pointer()
    {
        var result = Parse(Contact(json => json["data"]!.AsObject().Remove("id")));

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed, "Event 'contact.created' has no item id at /data/id (settings.mapping.itemId).")));
    }

    [Test]
    public void A_delivery_without_a_webhook_id_fails()
    {
        var result = Parse(Contact(), webhookId: null);

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed,
            "The delivery has no webhook-id header; every Standard Webhooks sender sends one (it names the event).")));
    }

    [TestCase("", "the body is not JSON", TestName = "empty")]
    [TestCase("not json", "the body is not JSON", TestName = "not JSON")]
    [TestCase("""[{"type": "contact.created"}]""", "the body is not a JSON object", TestName = "an array")]
    [TestCase("""{"timestamp": "2022-11-03T20:26:10Z", "data": {}}""", "it has no \"type\"", TestName = "no type")]
    [TestCase("""{"type": 7, "data": {}}""", "it has no \"type\"", TestName = "a numeric type")]
    [TestCase("""{"type": "contact.created", "type": "contact.deleted", "data": {"id": "1"}}""", "the body is not JSON", TestName = "a property given twice")]
    public void A_body_that_is_not_a_Standard_Webhooks_payload_fails(string body, string reason)
    {
        var result = _parser.Parse(Encoding.UTF8.GetBytes(body), new Dictionary<string, string> { ["webhook-id"] = MessageId }, Integration(Mapping));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Standard Webhooks payload").And.Contain(reason));
    }

    [Test]
    public void A_body_that_is_not_UTF_8_fails_instead_of_throwing()
    {
        // Found by ParserRobustnessTests: JsonDocument accepts the bytes, reading the string throws.
        var body = PayloadFixtures.Read(Provider.Standard, "contact.created.full.json");
        body[Array.IndexOf(body, (byte)'J')] = 0x83;

        var result = _parser.Parse(body, Headers("contact.created.full.json"), Integration(Mapping));

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed, "Not a Standard Webhooks payload: the body is not UTF-8 (JSON must be).")));
    }

    [Test]
    public void Unreadable_settings_fail_naming_the_integration()
    {
        var result = ParseFixture("contact.created.full.json", """{"mapping": {"itemId": "data/id", "types": {}}}""");

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed,
            "Integration 'Standard sender': settings.mapping.itemId (\"data/id\") is not a JSON Pointer: a JSON Pointer is empty or starts with '/' (e.g. /data/id).")));
    }

    [Test]
    public void A_NUL_in_sender_text_becomes_the_replacement_character()
    {
        // PostgreSQL text cannot hold U+0000, which JSON can (SenderText, for every parser).
        var result = Parse(Contact(json => json["data"]!["fullName"] = "John\u0000Smith"));

        Assert.That(result.Changes.OfType<FieldChanged>().First().NewValue, Is.EqualTo("John\uFFFDSmith"));
    }

    [Test]
    public void Text_longer_than_its_column_is_cut_or_refused()
    {
        var longName = Parse(Contact(json => json["data"]!["fullName"] = new string('n', 1500)));
        var longCommentId = Parse(Contact(json =>
        {
            json["type"] = "contact.commented";
            json["data"]!["comment"] = new JsonObject { ["id"] = new string('c', 201), ["body"] = "b" };
        }));

        Assert.Multiple(() =>
        {
            Assert.That(longName.Changes.OfType<FieldChanged>().First().NewValue, Has.Length.EqualTo(1000), "a record name holds 1000 characters");
            Assert.That((longCommentId.Outcome, longCommentId.Reason), Is.EqualTo((ParseOutcome.Failed, "The comment id at /data/comment/id is longer than 200 characters.")));
        });
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Every_cut_of_a_recorded_payload_gives_an_outcome_with_a_reason_and_never_throws(string fixture)
    {
        var body = PayloadFixtures.Read(Provider.Standard, fixture);
        var headers = Headers(fixture);
        var integration = Integration(fixture.StartsWith("response.", StringComparison.Ordinal) ? OpenAiMapping : Mapping);
        for (var length = 0; length < body.Length; length++)
        {
            var result = _parser.Parse(body.AsMemory(0, length), headers, integration);
            Assert.That(result.Outcome == ParseOutcome.Parsed || !string.IsNullOrEmpty(result.Reason), $"cut at {length}: {result}");
        }
    }
}
