using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Smartsheet;

/// <summary>
/// Smartsheet callbacks (providers.md §6). The link's external id is the row id (<c>id</c> of a row event, <c>rowId</c>
/// of a cell event). Events carry ids only: cell changes become <see cref="ChangedInSender"/> changes that name the row
/// to fetch; <c>row.updated</c> is a history line (its values come with the cell events of the same callback). Comment
/// and discussion events carry only their own <c>id</c> (no <c>rowId</c>: only cell events have one), so which row they
/// are on is left to the fetch (<see cref="ItemReference.ItemUnknown"/>); a deleted one can no longer be read, so it is
/// skipped with the reason. <c>sheet.updated</c> comes with every change and is skipped, as are
/// events whose <c>changeAgent</c> contains our own (<see cref="SmartsheetOptions.ChangeAgent"/>).
/// Dedup key (§6.5, not the nonce): <c>smartsheet:{scopeObjectId}:{objectType}:{id | rowId.columnId}:{eventType}:{timestamp}:{userId}</c>.
/// Ordering: <c>events[].timestamp</c> (1 s).
/// </summary>
public sealed partial class SmartsheetPayloadParser(IOptions<SmartsheetOptions> options) : IPayloadParser
{
    private readonly string? _ownAgent = string.IsNullOrWhiteSpace(options.Value.ChangeAgent) ? null : options.Value.ChangeAgent.Trim();

    public Provider Provider => Provider.Smartsheet;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a Smartsheet callback: the body is empty.");
        }
        SmartsheetPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body.Span, SmartsheetJsonContext.Default.SmartsheetPayload);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a Smartsheet callback: the body is not a JSON object of the expected shape ({e.Message}).");
        }
        if (payload is null)
        {
            return ParseResult.Failed("Not a Smartsheet callback: the body is JSON null.");
        }
        if (!string.IsNullOrWhiteSpace(payload.NewWebhookStatus))
        {
            return ParseResult.Ignored($"Smartsheet webhook status changed to {payload.NewWebhookStatus}; nothing to apply (re-enable the webhook in Smartsheet).");
        }
        if (payload.Events is not { } events)
        {
            return ParseResult.Failed("Not a Smartsheet callback: there is neither an events array nor a newWebhookStatus.");
        }
        if (payload.ScopeObjectId is not { } sheetId)
        {
            return ParseResult.Failed("Not a Smartsheet callback: there is no scopeObjectId.");
        }

        var changes = new List<NormalizedChange>();
        var skipped = new List<string>();
        foreach (var e in events)
        {
            if (e is null || string.IsNullOrWhiteSpace(e.ObjectType) || string.IsNullOrWhiteSpace(e.EventType))
            {
                return ParseResult.Failed("Not a Smartsheet callback: an event has no objectType or eventType.");
            }
            var name = $"{e.ObjectType}.{e.EventType}";
            if (!TryParseTime(e.Timestamp, out var at))
            {
                return ParseResult.Failed($"Not a Smartsheet callback: {name} has no readable timestamp ('{e.Timestamp}').");
            }
            if (_ownAgent is not null && e.ChangeAgent?.Contains(_ownAgent, StringComparison.Ordinal) == true)
            {
                skipped.Add($"{name} (our own change)");
                continue;
            }

            var identity = e.ObjectType == "cell" ? $"{e.RowId}.{e.ColumnId}" : $"{e.Id}";
            var key = $"smartsheet:{sheetId}:{e.ObjectType}:{identity}:{e.EventType}:{e.Timestamp}:{e.UserId}";
            NormalizedChange? change;
            switch (e.ObjectType)
            {
                case "row":
                    if (e.Id is not { } rowId)
                    {
                        return ParseResult.Failed($"Not a Smartsheet callback: {name} has no id.");
                    }
                    change = Row(e.EventType, rowId.ToString(CultureInfo.InvariantCulture), key, at);
                    break;
                case "cell":
                    if (e.RowId is not { } cellRow || e.ColumnId is not { } column)
                    {
                        return ParseResult.Failed($"Not a Smartsheet callback: {name} has no rowId or columnId.");
                    }
                    change = Cell(e.EventType, sheetId, cellRow, column, key, at);
                    break;
                case "comment" or "discussion" when e.Id is { } itemId:
                    if (e.EventType == "deleted")
                    {
                        skipped.Add($"{name} (names no row, and what was deleted can no longer be read)");
                        continue;
                    }
                    change = CommentOrDiscussion(e.ObjectType, e.EventType, sheetId, itemId, key, at);
                    break;
                default:
                    // sheet.updated (with every change), columns and attachments.
                    change = null;
                    break;
            }
            if (change is null)
            {
                skipped.Add(name);
                continue;
            }
            changes.Add(change);
        }

        return changes.Count == 0
            ? ParseResult.Ignored($"No Smartsheet row, cell or comment events the workers apply ({(skipped.Count == 0 ? "no events" : string.Join(", ", skipped.Distinct()))}).")
            : ParseResult.Parsed(changes);
    }

    private static NormalizedChange? Row(string eventType, string rowId, string key, DateTimeOffset at) => eventType switch
    {
        "created" => new ItemCreated(rowId, key, at, null),
        "updated" => new ChangedInSender(rowId, key, at, "row updated"),
        "deleted" => new ItemDeleted(rowId, key, at),
        _ => null,
    };

    private static NormalizedChange? Cell(string eventType, long sheetId, long rowId, long columnId, string key, DateTimeOffset at) => eventType switch
    {
        "created" or "updated" => new ChangedInSender(Text(rowId), key, at, $"cell in column {columnId} {eventType}",
            new ItemReference("row", Text(rowId), Text(sheetId), Text(columnId))),
        "deleted" => new ChangedInSender(Text(rowId), key, at, $"cell in column {columnId} deleted"),
        _ => null,
    };

    /// <summary>
    /// A comment or discussion created or updated: the fetch reads it, and its discussion's parent, to find the row. Until
    /// then the change's external id is a placeholder no link matches.
    /// </summary>
    private static ChangedInSender? CommentOrDiscussion(string objectType, string eventType, long sheetId, long id, string key, DateTimeOffset at) =>
        eventType is "created" or "updated"
            ? new ChangedInSender($"smartsheet:{objectType}:{Text(id)}", key, at, $"{objectType} {Text(id)} {eventType}",
                new ItemReference(objectType, Text(id), Text(sheetId), eventType, ItemUnknown: true))
            : null;

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Smartsheet writes <c>2015-10-27T17:03:15.000+0000</c> (no colon in the offset) and also <c>+00:00</c>.</summary>
    private static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        if (!DateTimeOffset.TryParse(OffsetWithoutColon().Replace(text, "$1$2:$3"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            return false;
        }
        value = value.ToUniversalTime();
        return true;
    }

    [GeneratedRegex(@"([+-])(\d{2})(\d{2})$")]
    private static partial Regex OffsetWithoutColon();
}
