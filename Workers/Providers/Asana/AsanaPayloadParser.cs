using System.Globalization;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Asana;

/// <summary>
/// Asana webhooks (providers.md §4): <c>{"events":[…]}</c>, batched. The link's external id is the task <c>gid</c>; a
/// comment story belongs to the task named by its <c>parent</c>. Asana events carry ids only (§4.1 "Skinny events"):
/// field changes and comment texts become <see cref="ChangedInSender"/> changes that name what to fetch.
/// Dedup key (§4.5, no event id): <c>asana:{resource.gid}:{action}:{change.field}:{created_at}:{user.gid}:{parent.gid}</c>.
/// Ordering: <c>created_at</c>.
/// </summary>
public sealed class AsanaPayloadParser : IPayloadParser
{
    /// <summary>Task fields whose new value a fetch of the task shows.</summary>
    internal static readonly string[] FetchedTaskFields = ["name", "notes", "completed"];

    public Provider Provider => Provider.Asana;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not an Asana webhook: the body is empty.");
        }
        AsanaPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body.Span, AsanaJsonContext.Default.AsanaPayload);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not an Asana webhook: the body is not a JSON object of the expected shape ({e.Message}).");
        }
        if (payload?.Events is not { } events)
        {
            return ParseResult.Failed("Not an Asana webhook: there is no events array.");
        }
        if (events.Count == 0)
        {
            // The ingress answers heartbeats itself; one that got here anyway has nothing to apply.
            return ParseResult.Ignored("Asana heartbeat (no events).");
        }

        var changes = new List<NormalizedChange>();
        var skipped = new List<string>();
        foreach (var e in events)
        {
            if (e?.Resource?.Gid is not { Length: > 0 } gid || string.IsNullOrWhiteSpace(e.Resource.ResourceType)
                || string.IsNullOrWhiteSpace(e.Action))
            {
                return ParseResult.Failed("Not an Asana webhook: an event has no resource.gid, resource.resource_type or action.");
            }
            if (!DateTimeOffset.TryParse(e.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                return ParseResult.Failed($"Not an Asana webhook: event on {gid} has no readable created_at ('{e.CreatedAt}').");
            }
            at = at.ToUniversalTime();

            var key = $"asana:{gid}:{e.Action}:{e.Change?.Field}:{e.CreatedAt}:{e.User?.Gid}:{e.Parent?.Gid}";
            var change = e.Resource.ResourceType switch
            {
                "task" => Task(e, gid, key, at),
                "story" => Story(e, gid, key, at),
                _ => null,
            };
            if (change is null)
            {
                skipped.Add($"{e.Resource.ResourceType}{(e.Resource.ResourceSubtype is { } s ? $"/{s}" : "")} {e.Action}");
                continue;
            }
            changes.Add(change);
        }

        return changes.Count == 0
            ? ParseResult.Ignored($"No Asana task or comment events the workers apply ({string.Join(", ", skipped.Distinct())}).")
            : ParseResult.Parsed(changes);
    }

    private static NormalizedChange? Task(AsanaEvent e, string gid, string key, DateTimeOffset at)
    {
        var parent = e.Parent;
        var inSection = parent?.ResourceType == "section" && !string.IsNullOrEmpty(parent.Gid);
        switch (e.Action)
        {
            case "added" when inSection:
                // A section move is the usual Asana status change: the section's name comes with the task.
                return new ChangedInSender(gid, key, at, $"task moved to section {parent!.Gid}", new ItemReference("task", gid, Field: $"section:{parent.Gid}"));
            case "added":
                return new ItemCreated(gid, key, at, null);
            case "removed":
                return new ChangedInSender(gid, key, at, $"task removed from {parent?.ResourceType ?? "its parent"} {parent?.Gid}".TrimEnd());
            case "deleted":
                return new ItemDeleted(gid, key, at);
            case "undeleted":
                return new ChangedInSender(gid, key, at, "task undeleted");
            case "changed":
                var field = e.Change?.Field;
                var fetched = field is null || FetchedTaskFields.Contains(field, StringComparer.Ordinal);
                // The 2019 format has no change object: fetch the whole task.
                return new ChangedInSender(gid, key, at, field is null ? "task changed" : $"task {field} changed",
                    fetched ? new ItemReference("task", gid, Field: field) : null);
            default:
                return null;
        }
    }

    private static NormalizedChange? Story(AsanaEvent e, string storyGid, string key, DateTimeOffset at)
    {
        // Only comments: the other story subtypes are Asana's own history lines about changes we see as task events.
        if (e.Resource!.ResourceSubtype != "comment_added")
        {
            return null;
        }
        var task = e.Parent is { ResourceType: "task", Gid: { Length: > 0 } parent } ? parent : null;
        if (e.Action is "removed" or "deleted")
        {
            return task is null ? null : new CommentDeleted(task, key, at, storyGid);
        }
        // The fetched story is the comment (the fetcher reads the action from Field).
        var done = e.Action switch { "added" => "added", "changed" => "edited", "undeleted" => "restored", _ => null };
        if (done is null)
        {
            return null;
        }
        if (task is not null)
        {
            return new ChangedInSender(task, key, at, $"comment {storyGid} {done}", new ItemReference("story", storyGid, Field: e.Action));
        }
        // Asana names the parent on added/removed only (providers.md §4.1): an edit's or a restore's task comes with the
        // fetched story.
        return e.Action == "added"
            ? null
            : new ChangedInSender($"asana:story:{storyGid}", key, at, $"comment {storyGid} {done}", new ItemReference("story", storyGid, Field: e.Action, ItemUnknown: true));
    }
}
