using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Smartsheet;

namespace Webhooks.Workers.Tests.Providers;

public sealed class SmartsheetPayloadParserTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];
    private readonly SmartsheetPayloadParser _parser = new(Options.Create(new SmartsheetOptions()));

    private ParseResult Parse(string body, SmartsheetPayloadParser? parser = null) => (parser ?? _parser).Parse(Encoding.UTF8.GetBytes(body), NoHeaders);

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Smartsheet);

    /// <summary>A callback for sheet 1229759569678212 with the given events (providers.md §6.1).</summary>
    public static string Callback(params string[] events) => CallbackOf("1229759569678212", events);

    public static string CallbackOf(string sheetId, params string[] events) =>
        $$"""{"nonce":"n-{{Guid.NewGuid():N}}","timestamp":"2025-09-17T13:10:00.903+00:00","webhookId":8958534189639556,"scope":"sheet","scopeObjectId":{{sheetId}},"events":[{{string.Join(",", events)}}]}""";

    /// <summary>One CallbackEvent: <c>id</c> is the object's own (absent for cells), <c>rowId</c>/<c>columnId</c> only cells carry.</summary>
    public static string Event(string objectType, string eventType, long? id = null, long? rowId = null, long? columnId = null, string? changeAgent = null,
        string timestamp = "2025-09-17T13:08:55.000+00:00")
    {
        var parts = new List<string> { $"\"objectType\":\"{objectType}\"", $"\"eventType\":\"{eventType}\"" };
        if (id is not null) parts.Add($"\"id\":{id}");
        if (rowId is not null) parts.Add($"\"rowId\":{rowId}");
        if (columnId is not null) parts.Add($"\"columnId\":{columnId}");
        if (changeAgent is not null) parts.Add($"\"changeAgent\":\"{changeAgent}\"");
        parts.Add("\"userId\":715458405001092");
        parts.Add($"\"timestamp\":\"{timestamp}\"");
        return "{" + string.Join(",", parts) + "}";
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_or_is_ignored_with_a_reason(string fixture)
    {
        var result = _parser.Parse(PayloadFixtures.Read(Provider.Smartsheet, fixture), NoHeaders);

        // The two status callbacks (a challenge, access lost) carry no events; the event callbacks carry row changes.
        if (fixture.StartsWith("event_callback", StringComparison.Ordinal))
        {
            Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
            Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith("smartsheet:"));
        }
        else
        {
            Assert.That(result.Outcome, Is.AnyOf(ParseOutcome.Ignored, ParseOutcome.Failed));
            Assert.That(result.Reason, Is.Not.Empty);
        }
    }

    [Test]
    public void Row_created_is_an_item_created_of_the_row_and_sheet_updated_is_skipped()
    {
        var change = _parser.Parse(PayloadFixtures.Read(Provider.Smartsheet, "event_callback.row_created.json"), NoHeaders).Changes.Single();

        Assert.That(change, Is.EqualTo(new ItemCreated("7129509179746180",
            "smartsheet:4509506114742148:row:7129509179746180:created:2015-10-27T17:03:15.000+0000:9007194052434043",
            DateTimeOffset.Parse("2015-10-27T17:03:15Z", CultureInfo.InvariantCulture), null)));
    }

    [Test]
    public void Real_callback_row_updates_are_history_and_cell_changes_fetch_their_row_and_column()
    {
        var changes = _parser.Parse(PayloadFixtures.Read(Provider.Smartsheet, "event_callback.rows_updated.json"), NoHeaders).Changes.Cast<ChangedInSender>().ToList();

        Assert.That(changes.Select(c => c.ExternalItemId), Is.EqualTo(new[] { "2862041824825220", "6151780615131012", "2862041824825220", "6151780615131012" }));
        Assert.That(changes.Take(2).Select(c => c.Fetch), Has.All.Null);
        Assert.That(changes[3].Fetch, Is.EqualTo(new ItemReference("row", "6151780615131012", "1229759569678212", "2477271520333700")));
        Assert.That(changes[3].SourceEventId, Is.EqualTo("smartsheet:1229759569678212:cell:6151780615131012.2477271520333700:updated:2025-09-17T13:08:55.000+00:00:715458405001092"));
        Assert.That(changes.Select(c => c.SourceEventId).Distinct().Count(), Is.EqualTo(4));
    }

    [Test]
    public void Dedup_key_is_the_same_in_every_callback_whatever_its_nonce()
    {
        var first = Parse(Callback(Event("row", "deleted", id: 5))).Changes.Single();
        var second = Parse(Callback(Event("row", "deleted", id: 5))).Changes.Single();

        Assert.That(first, Is.TypeOf<ItemDeleted>());
        Assert.That(second.SourceEventId, Is.EqualTo(first.SourceEventId));
    }

    [Test]
    public void Comment_and_discussion_events_name_no_row_so_the_fetch_finds_it()
    {
        // The documented shape: a new comment on a row is a discussion event and a comment event, each with its own id only.
        var changes = _parser.Parse(PayloadFixtures.Read(Provider.Smartsheet, "event_callback.comment_created.json"), NoHeaders).Changes.Cast<ChangedInSender>().ToList();

        Assert.That(changes.Select(c => (c.ExternalItemId, c.Fetch)), Is.EqualTo(new[]
        {
            ("smartsheet:discussion:1983748281673604", new ItemReference("discussion", "1983748281673604", "4509506114742148", "created", ItemUnknown: true)),
            ("smartsheet:comment:6487347909044100", new ItemReference("comment", "6487347909044100", "4509506114742148", "created", ItemUnknown: true)),
        }));
        Assert.That(changes[1].SourceEventId, Is.EqualTo("smartsheet:4509506114742148:comment:6487347909044100:created:2015-10-27T17:06:01.000+0000:9007194052434043"));
    }

    [Test]
    public void Comment_edit_is_fetched_and_deletions_that_can_no_longer_be_read_are_skipped_with_the_reason()
    {
        var result = Parse(Callback(Event("comment", "updated", id: 90), Event("comment", "deleted", id: 91), Event("discussion", "deleted", id: 80)));

        Assert.That(((ChangedInSender)result.Changes.Single()).Fetch, Is.EqualTo(new ItemReference("comment", "90", "1229759569678212", "updated", ItemUnknown: true)));
        var deletedOnly = Parse(Callback(Event("comment", "deleted", id: 91)));
        Assert.That(deletedOnly.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(deletedOnly.Reason, Does.Contain("comment.deleted (names no row, and what was deleted can no longer be read)"));
    }

    [Test]
    public void Events_of_our_own_change_agent_are_skipped()
    {
        var parser = new SmartsheetPayloadParser(Options.Create(new SmartsheetOptions { ChangeAgent = "webhooks-acme" }));

        var result = Parse(Callback(Event("row", "updated", id: 5, changeAgent: "other,webhooks-acme"), Event("row", "deleted", id: 6, changeAgent: "someone-else")), parser);

        Assert.That(result.Changes.Single().ExternalItemId, Is.EqualTo("6"));
        Assert.That(Parse(Callback(Event("row", "updated", id: 5, changeAgent: "webhooks-acme")), parser).Reason, Does.Contain("row.updated (our own change)"));
    }

    [Test]
    public void Status_change_callback_is_ignored_naming_the_new_status()
    {
        var result = _parser.Parse(PayloadFixtures.Read(Provider.Smartsheet, "status_change.scope_inaccessible.json"), NoHeaders);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("DISABLED_SCOPE_INACCESSIBLE"));
    }

    [Test]
    public void Callback_with_only_sheet_updated_is_ignored()
    {
        var result = Parse(Callback(Event("sheet", "updated", id: 1229759569678212)));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("sheet.updated"));
    }

    [TestCase("", "empty")]
    [TestCase("not json", "not a JSON object")]
    [TestCase("[1]", "not a JSON object")]
    [TestCase("null", "JSON null")]
    [TestCase("""{"challenge":"d78dd1d3","webhookId":1}""", "neither an events array nor a newWebhookStatus")]
    [TestCase("""{"events":[]}""", "no scopeObjectId")]
    [TestCase("""{"scopeObjectId":1,"events":[{"eventType":"updated","timestamp":"2025-09-17T13:08:55.000+00:00"}]}""", "no objectType or eventType")]
    [TestCase("""{"scopeObjectId":1,"events":[{"objectType":"row","eventType":"updated","id":5}]}""", "no readable timestamp")]
    [TestCase("""{"scopeObjectId":1,"events":[{"objectType":"row","eventType":"updated","timestamp":"2025-09-17T13:08:55.000+00:00"}]}""", "row.updated has no id")]
    [TestCase("""{"scopeObjectId":1,"events":[{"objectType":"cell","eventType":"updated","rowId":5,"timestamp":"2025-09-17T13:08:55.000+00:00"}]}""", "no rowId or columnId")]
    public void Payload_that_is_not_a_Smartsheet_callback_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Smartsheet callback").And.Contain(reason));
    }
}
