using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Fetching;

namespace Webhooks.Workers.Providers.Asana;

/// <summary>
/// Reads what an Asana event leaves out: the task (<c>GET tasks/{gid}</c>: name → record name, notes → description,
/// completed or section → status) or the comment story (<c>GET stories/{gid}</c>: text, created_by.name, and target,
/// the task, for an edit whose event names no parent).
/// Status names, for statusMappings: <c>Completed</c> for a completed task, otherwise the task's section name, or
/// <c>Incomplete</c> when it has none.
/// </summary>
public sealed class AsanaItemFetcher : IItemFetcher
{
    public const string Completed = "Completed";
    public const string Incomplete = "Incomplete";

    public Provider Provider => Provider.Asana;

    public async Task<FetchedItem> FetchAsync(ChangedInSender change, ProviderApiSession api, IntegrationSettings settings, CancellationToken cancellationToken)
    {
        var item = change.Fetch!;
        if (item.Kind == "story")
        {
            var story = await api.GetAsync($"stories/{Uri.EscapeDataString(item.Id)}?opt_fields=text,created_by.name,target", cancellationToken);
            if (story is null)
            {
                return FetchedItem.NotFound;
            }
            var data = Data(story, "story");
            var text = String(data, "text") ?? "";
            var author = data.TryGetProperty("created_by", out var by) && by.ValueKind == JsonValueKind.Object ? String(by, "name") : null;
            var taskGid = change.ExternalItemId;
            if (item.ItemUnknown)
            {
                if (!data.TryGetProperty("target", out var target) || target.ValueKind != JsonValueKind.Object || String(target, "gid") is not { Length: > 0 } gid)
                {
                    return FetchedItem.Found([change with { Fetch = null }]);
                }
                taskGid = gid;
            }
            return FetchedItem.Found(item.Field switch
            {
                "changed" => [new CommentEdited(taskGid, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)],
                "undeleted" => [new CommentRestored(taskGid, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)],
                _ => [new CommentAdded(taskGid, change.SourceEventId, change.SourceTimestamp, item.Id, text, author)],
            });
        }

        var task = await api.GetAsync($"tasks/{Uri.EscapeDataString(item.Id)}?opt_fields=name,notes,completed,memberships.section.name", cancellationToken);
        return task is null ? FetchedItem.NotFound : FetchedItem.Found(TaskChanges(change, item.Field, Data(task, "task")));
    }

    private static List<NormalizedChange> TaskChanges(ChangedInSender change, string? field, JsonElement task)
    {
        var (id, key, at) = (change.ExternalItemId, change.SourceEventId, change.SourceTimestamp);
        if (field is not null && field.StartsWith("section:", StringComparison.Ordinal))
        {
            var sectionGid = field["section:".Length..];
            return SectionName(task, sectionGid) is { } section
                ? [new StatusChanged(id, key, at, null, section)]
                : [change with { Fetch = null }];
        }

        var changes = new List<NormalizedChange>();
        // One event, one ledger key; the whole-task form (no change.field) yields up to three, suffixed.
        string KeyFor(string part) => field is null ? $"{key}:{part}" : key;
        if (field is null or "name")
        {
            changes.Add(new FieldChanged(id, KeyFor("name"), at, RecordFields.Name, null, String(task, "name")));
        }
        if (field is null or "notes")
        {
            changes.Add(new FieldChanged(id, KeyFor("notes"), at, RecordFields.Description, null, String(task, "notes")));
        }
        if (field is null or "completed")
        {
            var completed = task.TryGetProperty("completed", out var c) && c.ValueKind == JsonValueKind.True;
            changes.Add(new StatusChanged(id, KeyFor("completed"), at, null, completed ? Completed : SectionName(task, null) ?? Incomplete));
        }
        return changes;
    }

    /// <summary>The name of the section the task is in: the one with <paramref name="sectionGid"/>, or its first.</summary>
    private static string? SectionName(JsonElement task, string? sectionGid)
    {
        if (!task.TryGetProperty("memberships", out var memberships) || memberships.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var membership in memberships.EnumerateArray())
        {
            if (membership.ValueKind == JsonValueKind.Object && membership.TryGetProperty("section", out var section)
                && section.ValueKind == JsonValueKind.Object && (sectionGid is null || String(section, "gid") == sectionGid)
                && String(section, "name") is { Length: > 0 } name)
            {
                return name;
            }
        }
        return null;
    }

    private static JsonElement Data(JsonElement? body, string what) =>
        body is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            ? data
            : throw new ItemFetchException($"Asana API answered the {what} without a data object.", permanent: true);

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
