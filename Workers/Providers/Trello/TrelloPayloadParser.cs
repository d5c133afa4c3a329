using System.Globalization;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Trello;

/// <summary>
/// Trello webhooks (providers.md §7): the event is <c>action.type</c>, the link's external id the card id.
/// A Trello action is one immutable object that every webhook on the board or card receives, so the dedup key is
/// <c>trello:{action.id}</c> (plus the field when one action changes several). Ordering: <c>action.date</c> (ms).
/// A list move is the status change: the new list's NAME goes through statusMappings. That is <c>updateCard</c> with
/// <c>listAfter</c> within a board, and <c>moveCardToBoard</c> (the board the card arrives on; its <c>data.list</c> is
/// the card's list there) across boards; the old board's <c>moveCardFromBoard</c> is ignored. Archiving is recorded in
/// the record's history as <c>trello:archived</c>.
/// </summary>
public sealed class TrelloPayloadParser : IPayloadParser
{
    public const string ArchivedField = "trello:archived";

    public Provider Provider => Provider.Trello;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a Trello webhook: the body is empty.");
        }

        TrelloPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body.Span, TrelloJsonContext.Default.TrelloPayload);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a Trello webhook: the body is not a JSON object of the expected shape ({e.Message}).");
        }

        if (payload?.Action is not { } action)
        {
            return ParseResult.Failed("Not a Trello webhook: there is no action.");
        }
        if (string.IsNullOrWhiteSpace(action.Type))
        {
            return ParseResult.Failed("Not a Trello webhook: the action has no type.");
        }
        if (string.IsNullOrWhiteSpace(action.Id))
        {
            return ParseResult.Failed($"Not a Trello webhook: '{action.Type}' has no action.id.");
        }

        switch (action.Type)
        {
            case "createCard" or "updateCard" or "deleteCard" or "commentCard" or "updateComment" or "deleteComment" or "moveCardToBoard":
                break;
            default:
                return ParseResult.Ignored($"Trello action '{action.Type}' is not one the workers apply.");
        }

        if (action.Data?.Card?.Id is not { Length: > 0 } cardId)
        {
            return ParseResult.Failed($"Not a Trello webhook: '{action.Type}' has no data.card.id.");
        }
        if (!TryParseTime(action.Date, out var at))
        {
            return ParseResult.Failed($"Not a Trello webhook: action {action.Id} has no readable date ('{action.Date}').");
        }

        var key = $"trello:{action.Id}";
        var data = action.Data;
        var author = action.MemberCreator?.FullName ?? action.MemberCreator?.Username;
        switch (action.Type)
        {
            case "createCard":
                return ParseResult.Parsed([new ItemCreated(cardId, key, at, data.Card.Name)]);
            case "deleteCard":
                return ParseResult.Parsed([new ItemDeleted(cardId, key, at)]);
            case "commentCard":
                // The comment is the action itself: its id is the comment id that later updates and deletes name.
                return data.Text is null
                    ? ParseResult.Failed($"Not a Trello webhook: commentCard {action.Id} has no data.text.")
                    : ParseResult.Parsed([new CommentAdded(cardId, key, at, action.Id, data.Text, author)]);
            case "updateComment":
                if (data.Action?.Id is not { Length: > 0 } editedId || data.Action.Text is null)
                {
                    return ParseResult.Failed($"Not a Trello webhook: updateComment {action.Id} has no data.action id and text.");
                }
                return ParseResult.Parsed([new CommentEdited(cardId, key, at, editedId, data.Action.Text, author)]);
            case "deleteComment":
                return data.Action?.Id is { Length: > 0 } deletedId
                    ? ParseResult.Parsed([new CommentDeleted(cardId, key, at, deletedId)])
                    : ParseResult.Failed($"Not a Trello webhook: deleteComment {action.Id} has no data.action.id.");
            case "moveCardToBoard":
                // Same key as updateCard's list move: one action, one status change.
                return data.List?.Name is { } listName && !string.IsNullOrWhiteSpace(listName)
                    ? ParseResult.Parsed([new StatusChanged(cardId, $"{key}:list", at, null, listName)])
                    : ParseResult.Failed($"Not a Trello webhook: moveCardToBoard {action.Id} has no data.list name (the card's list on its new board).");
            default:
                return UpdateCard(action.Id, cardId, at, data);
        }
    }

    private static ParseResult UpdateCard(string actionId, string cardId, DateTimeOffset at, TrelloActionData data)
    {
        var key = $"trello:{actionId}";
        var old = data.Old ?? [];
        var changes = new List<NormalizedChange>();

        if (data.ListAfter is { } after)
        {
            if (string.IsNullOrWhiteSpace(after.Name))
            {
                return ParseResult.Failed($"Not a Trello webhook: updateCard {actionId} moved the card to a list without a name.");
            }
            changes.Add(new StatusChanged(cardId, $"{key}:list", at, data.ListBefore?.Name, after.Name));
        }
        if (old.TryGetValue("name", out var oldName))
        {
            changes.Add(new FieldChanged(cardId, $"{key}:name", at, RecordFields.Name, Text(oldName), data.Card?.Name));
        }
        if (old.TryGetValue("desc", out var oldDesc))
        {
            changes.Add(new FieldChanged(cardId, $"{key}:desc", at, RecordFields.Description, Text(oldDesc), data.Card?.Desc));
        }
        if (old.TryGetValue("closed", out var oldClosed))
        {
            var closed = data.Card?.Closed ?? oldClosed.ValueKind == JsonValueKind.False;
            changes.Add(new FieldChanged(cardId, $"{key}:closed", at, ArchivedField, Text(oldClosed), closed ? "true" : "false"));
        }

        if (changes.Count == 0)
        {
            var named = old.Count == 0 ? "nothing" : string.Join(", ", old.Keys.Order(StringComparer.Ordinal));
            return ParseResult.Ignored($"Trello updateCard {actionId} changed {named}, which the workers do not apply.");
        }
        return ParseResult.Parsed(changes);
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    private static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            return false;
        }
        value = value.ToUniversalTime();
        return true;
    }
}
