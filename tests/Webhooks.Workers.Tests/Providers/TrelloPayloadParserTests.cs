using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Trello;

namespace Webhooks.Workers.Tests.Providers;

public sealed class TrelloPayloadParserTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];
    private readonly TrelloPayloadParser _parser = new();

    private ParseResult Parse(byte[] body) => _parser.Parse(body, NoHeaders);

    private ParseResult ParseFixture(string fixture) => Parse(PayloadFixtures.Read(Provider.Trello, fixture));

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Trello);

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUniversalTime();

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_payload_parses_into_changes_of_its_card_keyed_on_the_action(string fixture)
    {
        using var json = JsonDocument.Parse(PayloadFixtures.Read(Provider.Trello, fixture));
        var action = json.RootElement.GetProperty("action");
        var cardId = action.GetProperty("data").GetProperty("card").GetProperty("id").GetString();
        var actionId = action.GetProperty("id").GetString();

        var result = ParseFixture(fixture);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Is.Not.Empty);
        Assert.That(result.Changes.Select(c => c.ExternalItemId), Has.All.EqualTo(cardId));
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith($"trello:{actionId}"));
        Assert.That(result.Changes.Select(c => c.SourceTimestamp), Has.All.EqualTo(Utc(action.GetProperty("date").GetString()!)));
    }

    [Test]
    public void A_list_move_is_a_status_change_to_the_new_lists_name()
    {
        var change = (StatusChanged)ParseFixture("updateCard.moved_to_list.json").Changes.Single();

        Assert.That(change, Is.EqualTo(new StatusChanged("65a7ca83c7532e93d9e8d1ec", "trello:65a7d90edf6648c60e5add42:list",
            Utc("2024-01-17T13:41:34.244Z"), "Chamados", "Chamados Realizados")));
    }

    [Test]
    public void A_card_moved_in_from_another_board_takes_the_name_of_its_new_list_as_its_status()
    {
        var change = ParseFixture("moveCardToBoard.json").Changes.Single();

        Assert.That(change, Is.EqualTo(new StatusChanged("59d4b9add8e25500009d5a7f", "trello:59f68aa82792b9470e709ed3:list",
            Utc("2017-10-30T02:12:56.477Z"), null, "Backlog")));
    }

    [Test]
    public void A_move_to_another_board_that_names_no_list_fails_with_the_reason()
    {
        var body = Edit("moveCardToBoard.json", action => action["data"]!.AsObject().Remove("list"));

        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("moveCardToBoard").And.Contain("data.list"));
    }

    [Test]
    public void The_old_boards_side_of_a_move_is_ignored_naming_it()
    {
        // Trello tells the board the card left with moveCardFromBoard; the card's status comes with the new board's action.
        var result = Parse(Edit("moveCardToBoard.json", action => action["type"] = "moveCardFromBoard"));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("moveCardFromBoard"));
    }

    private static byte[] Edit(string fixture, Action<JsonObject> action)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Trello, fixture))!.AsObject();
        action(json["action"]!.AsObject());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Test]
    public void Archiving_is_recorded_as_the_archived_field()
    {
        var change = (FieldChanged)ParseFixture("updateCard.archived.json").Changes.Single();

        Assert.That((change.ExternalItemId, change.Field, change.OldValue, change.NewValue),
            Is.EqualTo(("53582e2da0fac5676a71428b", TrelloPayloadParser.ArchivedField, "false", "true")));
    }

    [Test]
    public void A_comment_is_added_with_the_action_id_as_the_comment_id_and_the_member_as_author()
    {
        var change = (CommentAdded)ParseFixture("commentCard.json").Changes.Single();

        Assert.That((change.ExternalItemId, change.CommentId, change.Body, change.SourceEventId),
            Is.EqualTo(("53582e2da0fac5676a714280", "5735bd3a54bf8d93c35149bb", "New comment", "trello:5735bd3a54bf8d93c35149bb")));
        Assert.That(change.Author, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void Rename_and_description_edits_become_name_and_description()
    {
        var body = TrelloPayloads.UpdateCard("aaaaaaaaaaaaaaaaaaaa0001", "2024-01-17T13:45:00.000Z", data =>
        {
            data.Remove("listBefore");
            data.Remove("listAfter");
            data["card"]!["name"] = "New title";
            data["card"]!["desc"] = "New description";
            data["old"] = new JsonObject { ["name"] = "Old title", ["desc"] = "" };
        });

        var changes = Parse(body).Changes.Cast<FieldChanged>().ToList();

        Assert.That(changes.Select(c => (c.Field, c.OldValue, c.NewValue)), Is.EqualTo(new[]
        {
            (RecordFields.Name, (string?)"Old title", (string?)"New title"),
            (RecordFields.Description, (string?)"", (string?)"New description"),
        }));
        Assert.That(changes.Select(c => c.SourceEventId), Is.EqualTo(new[] { "trello:aaaaaaaaaaaaaaaaaaaa0001:name", "trello:aaaaaaaaaaaaaaaaaaaa0001:desc" }));
    }

    [Test]
    public void Created_and_deleted_cards_are_recorded()
    {
        var created = Parse(TrelloPayloads.Action("createCard", "aaaaaaaaaaaaaaaaaaaa0002", "2024-01-17T13:00:00.000Z", _ => { })).Changes.Single();
        var deleted = Parse(TrelloPayloads.Action("deleteCard", "aaaaaaaaaaaaaaaaaaaa0003", "2024-01-18T13:00:00.000Z", data =>
            data["card"] = new JsonObject { ["id"] = TrelloPayloads.CardId, ["idShort"] = 680, ["shortLink"] = "St3ygCzQ" })).Changes.Single();

        Assert.That(created, Is.EqualTo(new ItemCreated(TrelloPayloads.CardId, "trello:aaaaaaaaaaaaaaaaaaaa0002", Utc("2024-01-17T13:00:00Z"),
            "Juliana Sampaio Santos - Problemas com o computador")));
        Assert.That(deleted, Is.EqualTo(new ItemDeleted(TrelloPayloads.CardId, "trello:aaaaaaaaaaaaaaaaaaaa0003", Utc("2024-01-18T13:00:00Z"))));
    }

    [Test]
    public void Comment_updates_and_deletions_name_the_original_comment_action()
    {
        var updated = (CommentEdited)Parse(TrelloPayloads.UpdateComment("aaaaaaaaaaaaaaaaaaaa0004", "5735bd3a54bf8d93c35149bb", "Edited comment", "2024-01-19T00:00:00.000Z")).Changes.Single();
        var deleted = (CommentDeleted)Parse(TrelloPayloads.DeleteComment("aaaaaaaaaaaaaaaaaaaa0005", "5735bd3a54bf8d93c35149bb", "2024-01-20T00:00:00.000Z")).Changes.Single();

        Assert.That((updated.CommentId, updated.Body, updated.SourceEventId), Is.EqualTo(("5735bd3a54bf8d93c35149bb", "Edited comment", "trello:aaaaaaaaaaaaaaaaaaaa0004")));
        Assert.That((deleted.CommentId, deleted.SourceEventId), Is.EqualTo(("5735bd3a54bf8d93c35149bb", "trello:aaaaaaaaaaaaaaaaaaaa0005")));
    }

    [Test]
    public void A_card_update_that_only_moves_it_within_its_list_is_ignored_naming_what_changed()
    {
        var result = Parse(TrelloPayloads.UpdateCard("aaaaaaaaaaaaaaaaaaaa0006", "2024-01-17T13:45:00.000Z", data =>
        {
            data.Remove("listBefore");
            data.Remove("listAfter");
            data["old"] = new JsonObject { ["pos"] = 16384 };
        }));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("pos"));
    }

    [TestCase("addMemberToCard")]
    [TestCase("updateList")]
    public void Actions_the_workers_do_not_apply_are_ignored_with_their_type(string type)
    {
        var result = Parse(TrelloPayloads.Action(type, "aaaaaaaaaaaaaaaaaaaa0007", "2024-01-17T13:00:00.000Z", _ => { }));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain(type));
    }

    [TestCase("", "empty")]
    [TestCase("not json", "not a JSON object")]
    [TestCase("[]", "not a JSON object")]
    [TestCase("null", "no action")]
    [TestCase("""{"model":{}}""", "no action")]
    [TestCase("""{"action":{"id":"1","date":"2024-01-17T13:00:00.000Z"}}""", "no type")]
    [TestCase("""{"action":{"type":"commentCard","date":"2024-01-17T13:00:00.000Z"}}""", "no action.id")]
    [TestCase("""{"action":{"id":"1","type":"commentCard","date":"2024-01-17T13:00:00.000Z","data":{"text":"x"}}}""", "no data.card.id")]
    [TestCase("""{"action":{"id":"1","type":"commentCard","date":"later","data":{"card":{"id":"c"},"text":"x"}}}""", "no readable date")]
    [TestCase("""{"action":{"id":"1","type":"commentCard","date":"2024-01-17T13:00:00.000Z","data":{"card":{"id":"c"}}}}""", "no data.text")]
    [TestCase("""{"action":{"id":"1","type":"updateComment","date":"2024-01-17T13:00:00.000Z","data":{"card":{"id":"c"}}}}""", "no data.action")]
    [TestCase("""{"action":{"id":"1","type":"deleteComment","date":"2024-01-17T13:00:00.000Z","data":{"card":{"id":"c"}}}}""", "no data.action.id")]
    public void Payload_that_is_not_a_Trello_webhook_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(Encoding.UTF8.GetBytes(body));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Trello webhook").And.Contain(reason));
    }
}

/// <summary>
/// Trello actions no recording covers, made from the 2024 recording (updateCard.moved_to_list.json, the current format with
/// <c>webhook</c> and <c>display</c>) with the data each action type carries per Trello's action-types page.
/// </summary>
public static class TrelloPayloads
{
    public const string CardId = "65a7ca83c7532e93d9e8d1ec";

    public static byte[] Action(string type, string actionId, string date, Action<JsonObject> data)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Trello, "updateCard.moved_to_list.json"))!.AsObject();
        var action = json["action"]!.AsObject();
        action["type"] = type;
        action["id"] = actionId;
        action["date"] = date;
        action.Remove("display");
        var actionData = action["data"]!.AsObject();
        actionData.Remove("old");
        actionData.Remove("listBefore");
        actionData.Remove("listAfter");
        actionData["list"] = new JsonObject { ["id"] = "64be843f7d08746f0889d06c", ["name"] = "Chamados Realizados" };
        data(actionData);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    public static byte[] UpdateCard(string actionId, string date, Action<JsonObject> data)
    {
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Trello, "updateCard.moved_to_list.json"))!.AsObject();
        var action = json["action"]!.AsObject();
        action["id"] = actionId;
        action["date"] = date;
        data(action["data"]!.AsObject());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>A list move of the recorded card to <paramref name="listName"/>.</summary>
    public static byte[] MovedTo(string listName, string actionId, string date) =>
        UpdateCard(actionId, date, data => data["listAfter"]!["name"] = listName);

    public static byte[] CommentCard(string actionId, string text, string date) =>
        Action("commentCard", actionId, date, data => data["text"] = text);

    public static byte[] UpdateComment(string actionId, string commentId, string text, string date) =>
        Action("updateComment", actionId, date, data =>
        {
            data["action"] = new JsonObject { ["id"] = commentId, ["text"] = text };
            data["old"] = new JsonObject { ["text"] = "New comment" };
        });

    public static byte[] DeleteComment(string actionId, string commentId, string date) =>
        Action("deleteComment", actionId, date, data => data["action"] = new JsonObject { ["id"] = commentId });
}
