using System.Globalization;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Fetching;

namespace Webhooks.Workers.Providers.Smartsheet;

/// <summary>
/// Reads what a Smartsheet event leaves out: the row (<c>GET sheets/{sheetId}/rows/{rowId}?include=columns</c>) for a
/// cell change — the status column (settings <c>statusColumn</c>, default <c>Status</c>) is a status change through
/// statusMappings, the primary column is the record's name, any other column a history line. Comment and discussion
/// events name no row: a comment (<c>GET sheets/{sheetId}/comments/{commentId}</c>: text, createdBy.name, discussionId)
/// is on the row its discussion names (<c>GET sheets/{sheetId}/discussions/{discussionId}</c>: parentType ROW and
/// parentId); a discussion brings its comments. A discussion on the sheet itself reaches no record and is skipped.
/// A comment is added under one key whichever event brought it (<c>smartsheet:{sheetId}:comment:{id}:created</c>), since
/// Smartsheet sends a discussion event, a comment event, or both for one new comment.
/// </summary>
public sealed class SmartsheetItemFetcher : IItemFetcher
{
    public const string DefaultStatusColumn = "Status";

    public Provider Provider => Provider.Smartsheet;

    public async Task<FetchedItem> FetchAsync(ChangedInSender change, ProviderApiSession api, IntegrationSettings settings, CancellationToken cancellationToken)
    {
        var item = change.Fetch!;
        var sheet = item.ContainerId ?? "";
        switch (item.Kind)
        {
            case "comment":
                return await CommentAsync(change, sheet, api, cancellationToken);
            case "discussion":
                return await Discussion(api, sheet, item.Id, cancellationToken) switch
                {
                    null => FetchedItem.NotFound,
                    { RowId: null } => FetchedItem.Skip($"Smartsheet discussion {item.Id} is on the sheet, not a row: no record to apply it to."),
                    { RowId: { } rowId, Body: var body } => FetchedItem.Found(DiscussionComments(change, sheet, rowId, body)),
                };
            default:
                var row = await api.GetAsync($"sheets/{Uri.EscapeDataString(sheet)}/rows/{Uri.EscapeDataString(item.Id)}?include=columns", cancellationToken);
                if (row is not { ValueKind: JsonValueKind.Object } fields)
                {
                    return row is null ? FetchedItem.NotFound : throw NotAn("row");
                }
                return FetchedItem.Found([CellChange(change, fields, item.Field, settings.StatusColumn ?? DefaultStatusColumn)]);
        }
    }

    private static async Task<FetchedItem> CommentAsync(ChangedInSender change, string sheet, ProviderApiSession api, CancellationToken cancellationToken)
    {
        var item = change.Fetch!;
        var comment = await api.GetAsync($"sheets/{Uri.EscapeDataString(sheet)}/comments/{Uri.EscapeDataString(item.Id)}", cancellationToken);
        if (comment is not { ValueKind: JsonValueKind.Object } body)
        {
            return comment is null ? FetchedItem.NotFound : throw NotAn("comment");
        }
        if (!body.TryGetProperty("discussionId", out var discussionId) || Scalar(discussionId) is not { Length: > 0 } discussion)
        {
            throw new ItemFetchException($"Smartsheet API answered comment {item.Id} without its discussionId.", permanent: true);
        }
        switch (await Discussion(api, sheet, discussion, cancellationToken))
        {
            case null:
                return FetchedItem.NotFound;
            case { RowId: null }:
                return FetchedItem.Skip($"Smartsheet comment {item.Id} is in discussion {discussion}, on the sheet, not a row: no record to apply it to.");
            case { RowId: { } rowId }:
                var (text, author) = (String(body, "text") ?? "", Author(body));
                return FetchedItem.Found(item.Field == "updated"
                    ? [new CommentEdited(rowId, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)]
                    : [new CommentAdded(rowId, AddedKey(sheet, item.Id), change.SourceTimestamp, item.Id, text, author)]);
        }
    }

    /// <summary>The discussion and the row it is on (null: on the sheet); null when it is gone.</summary>
    private static async Task<(string? RowId, JsonElement Body)?> Discussion(ProviderApiSession api, string sheet, string discussionId, CancellationToken cancellationToken)
    {
        var discussion = await api.GetAsync($"sheets/{Uri.EscapeDataString(sheet)}/discussions/{Uri.EscapeDataString(discussionId)}", cancellationToken);
        if (discussion is not { ValueKind: JsonValueKind.Object } body)
        {
            return discussion is null ? null : throw NotAn("discussion");
        }
        var parentType = String(body, "parentType");
        if (string.Equals(parentType, "SHEET", StringComparison.OrdinalIgnoreCase))
        {
            return (null, body);
        }
        if (!string.Equals(parentType, "ROW", StringComparison.OrdinalIgnoreCase)
            || !body.TryGetProperty("parentId", out var parentId) || Scalar(parentId) is not { Length: > 0 } rowId)
        {
            throw new ItemFetchException($"Smartsheet API answered discussion {discussionId} without parentType ROW or SHEET and its parentId.", permanent: true);
        }
        return (rowId, body);
    }

    /// <summary>A row's discussion brings its comments; without any it is a line in the row's history.</summary>
    private static List<NormalizedChange> DiscussionComments(ChangedInSender change, string sheet, string rowId, JsonElement discussion)
    {
        var comments = new List<NormalizedChange>();
        if (discussion.TryGetProperty("comments", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var comment in list.EnumerateArray())
            {
                if (comment.ValueKind == JsonValueKind.Object && comment.TryGetProperty("id", out var id) && Scalar(id) is { Length: > 0 } commentId)
                {
                    comments.Add(new CommentAdded(rowId, AddedKey(sheet, commentId), change.SourceTimestamp, commentId, String(comment, "text") ?? "", Author(comment)));
                }
            }
        }
        return comments.Count > 0 ? comments : [change with { ExternalItemId = rowId, Fetch = null }];
    }

    private static string AddedKey(string sheet, string commentId) => $"smartsheet:{sheet}:comment:{commentId}:created";

    private static string? Author(JsonElement comment) =>
        comment.TryGetProperty("createdBy", out var by) && by.ValueKind == JsonValueKind.Object ? String(by, "name") : null;

    private static ItemFetchException NotAn(string what) =>
        new($"Smartsheet API answered the {what} with something other than an object.", permanent: true);

    private static NormalizedChange CellChange(ChangedInSender change, JsonElement row, string? columnId, string statusColumn)
    {
        var (id, key, at) = (change.ExternalItemId, change.SourceEventId, change.SourceTimestamp);
        var column = Column(row, columnId);
        if (column is null || Cell(row, columnId) is not { } cell)
        {
            return change with { Fetch = null };
        }
        var (title, primary) = column.Value;
        var value = String(cell, "displayValue") ?? (cell.TryGetProperty("value", out var raw) ? Scalar(raw) : null);
        if (string.Equals(title, statusColumn, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value))
        {
            return new StatusChanged(id, key, at, null, value);
        }
        if (primary)
        {
            return new FieldChanged(id, key, at, RecordFields.Name, null, value);
        }
        return new FieldChanged(id, key, at, $"smartsheet:{title}", null, value);
    }

    private static (string Title, bool Primary)? Column(JsonElement row, string? columnId)
    {
        if (!row.TryGetProperty("columns", out var columns) || columns.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var column in columns.EnumerateArray())
        {
            if (column.ValueKind == JsonValueKind.Object && column.TryGetProperty("id", out var cid) && Scalar(cid) == columnId)
            {
                var primary = column.TryGetProperty("primary", out var p) && p.ValueKind == JsonValueKind.True;
                return (String(column, "title") ?? columnId ?? "", primary);
            }
        }
        return null;
    }

    private static JsonElement? Cell(JsonElement row, string? columnId)
    {
        if (!row.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.ValueKind == JsonValueKind.Object && cell.TryGetProperty("columnId", out var cid) && Scalar(cid) == columnId)
            {
                return cell;
            }
        }
        return null;
    }

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var whole) ? whole.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString(CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
