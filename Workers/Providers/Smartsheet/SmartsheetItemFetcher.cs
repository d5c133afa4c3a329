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
/// statusMappings, the primary column is the record's name, any other column a history line — or the comment
/// (<c>GET sheets/{sheetId}/comments/{commentId}</c>: text, createdBy.name).
/// </summary>
public sealed class SmartsheetItemFetcher : IItemFetcher
{
    public const string DefaultStatusColumn = "Status";

    public Provider Provider => Provider.Smartsheet;

    public async Task<IReadOnlyList<NormalizedChange>?> FetchAsync(ChangedInSender change, ProviderApiSession api, IntegrationSettings settings, CancellationToken cancellationToken)
    {
        var item = change.Fetch!;
        var sheet = Uri.EscapeDataString(item.ContainerId ?? "");
        if (item.Kind == "comment")
        {
            var comment = await api.GetAsync($"sheets/{sheet}/comments/{Uri.EscapeDataString(item.Id)}", cancellationToken);
            if (comment is not { ValueKind: JsonValueKind.Object } body)
            {
                return comment is null ? null : throw new ItemFetchException("Smartsheet API answered the comment with something other than an object.");
            }
            var text = String(body, "text") ?? "";
            var author = body.TryGetProperty("createdBy", out var by) && by.ValueKind == JsonValueKind.Object ? String(by, "name") : null;
            return item.Field == "updated"
                ? [new CommentEdited(change.ExternalItemId, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)]
                : [new CommentAdded(change.ExternalItemId, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)];
        }

        var row = await api.GetAsync($"sheets/{sheet}/rows/{Uri.EscapeDataString(item.Id)}?include=columns", cancellationToken);
        if (row is not { ValueKind: JsonValueKind.Object } fields)
        {
            return row is null ? null : throw new ItemFetchException("Smartsheet API answered the row with something other than an object.");
        }
        return [CellChange(change, fields, item.Field, settings.StatusColumn ?? DefaultStatusColumn)];
    }

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
