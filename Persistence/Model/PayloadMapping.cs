using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Webhooks.Persistence.Model;

/// <summary>
/// <c>settings.mapping</c> of a <c>standard</c> integration: where, in a payload shaped
/// <c>{"type", "timestamp", "data"}</c>, the sender's item id and each event type's changes are, as JSON Pointers.
/// <code>
/// {"itemId": "/data/id", "timestamp": "/timestamp",
///  "types": {"issue.updated": {"status": "/data/status", "name": "/data/title", "description": "/data/body",
///                              "commentId": "/data/comment/id", "commentBody": "/data/comment/body",
///                              "commentAuthor": "/data/comment/author", "deleted": true}}}
/// </code>
/// Every key of a type is optional, but a type maps at least one change. <c>deleted: true</c> with a <c>commentId</c> and
/// no <c>commentBody</c> is a comment's deletion (map a comment-deletion type so, even if its payload still carries the
/// body); otherwise it is the item's, recorded after whatever else the type maps, so the issue's example above, every
/// key in one type, is taken as written.
/// <c>timestamp</c> (default <c>/timestamp</c>)
/// names the event's time, for senders that call it otherwise (<c>/created_at</c>). One reader serves the admin API,
/// which refuses a mapping naming its first problem, and the workers.
/// </summary>
public sealed record PayloadMapping(JsonPointer ItemId, JsonPointer Timestamp, IReadOnlyDictionary<string, EventMapping> Types)
{
    public const string DefaultTimestamp = "/timestamp";

    private static readonly JsonPointer DefaultTimestampPointer = JsonPointer.Parse(DefaultTimestamp);

    private static readonly string[] TopKeys = ["itemId", "timestamp", "types"];
    private static readonly string[] PointerKeys = ["status", "name", "description", "commentId", "commentBody", "commentAuthor"];
    private static readonly string[] TypeKeys = [.. PointerKeys, "deleted"];

    /// <summary>Reads a mapping; on failure <paramref name="error"/> names the bad key as <c>settings.mapping…</c>.</summary>
    public static bool TryRead(JsonElement mapping, [NotNullWhen(true)] out PayloadMapping? read, [NotNullWhen(false)] out string? error)
    {
        read = null;
        const string Path = "settings.mapping";
        if (mapping.ValueKind != JsonValueKind.Object)
        {
            error = $"{Path} must be an object: {{\"itemId\": <JSON Pointer>, \"types\": {{<event type>: {{…}}}}}}.";
            return false;
        }
        if (!TryReadKeys(mapping, Path, TopKeys, out var keys, out error))
        {
            return false;
        }
        if (!keys.TryGetValue("itemId", out var itemIdValue))
        {
            error = $"{Path}.itemId is required: the JSON Pointer of the sender's item id (e.g. /data/id).";
            return false;
        }
        if (!TryReadPointer(itemIdValue, $"{Path}.itemId", out var itemId, out error))
        {
            return false;
        }
        var timestamp = DefaultTimestampPointer;
        if (keys.TryGetValue("timestamp", out var timestampValue) && !TryReadPointer(timestampValue, $"{Path}.timestamp", out timestamp, out error))
        {
            return false;
        }
        if (!keys.TryGetValue("types", out var typesValue) || typesValue.ValueKind != JsonValueKind.Object)
        {
            error = $"{Path}.types is required: an object of event type → what it changes.";
            return false;
        }

        var types = new Dictionary<string, EventMapping>(StringComparer.Ordinal);
        foreach (var type in typesValue.EnumerateObject())
        {
            var typePath = $"{Path}.types[{JsonSerializer.Serialize(type.Name)}]";
            if (string.IsNullOrWhiteSpace(type.Name))
            {
                error = $"{typePath}: an event type must not be empty.";
                return false;
            }
            if (types.ContainsKey(type.Name))
            {
                error = $"{typePath} is given twice.";
                return false;
            }
            if (!TryReadType(type.Value, typePath, out var eventMapping, out error))
            {
                return false;
            }
            types[type.Name] = eventMapping;
        }
        read = new PayloadMapping(itemId, timestamp, types);
        return true;
    }

    private static bool TryReadType(JsonElement value, string path, [NotNullWhen(true)] out EventMapping? read, [NotNullWhen(false)] out string? error)
    {
        read = null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            error = $"{path} must be an object of {string.Join(", ", TypeKeys)}.";
            return false;
        }
        if (!TryReadKeys(value, path, TypeKeys, out var keys, out error))
        {
            return false;
        }
        var pointers = new Dictionary<string, JsonPointer>(StringComparer.Ordinal);
        foreach (var key in PointerKeys)
        {
            if (keys.TryGetValue(key, out var pointerValue))
            {
                if (!TryReadPointer(pointerValue, $"{path}.{key}", out var pointer, out error))
                {
                    return false;
                }
                pointers[key] = pointer;
            }
        }
        var deleted = false;
        if (keys.TryGetValue("deleted", out var deletedValue))
        {
            if (deletedValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = $"{path}.deleted must be true or false.";
                return false;
            }
            deleted = deletedValue.GetBoolean();
        }

        var mapping = new EventMapping(pointers.GetValueOrDefault("status"), pointers.GetValueOrDefault("name"),
            pointers.GetValueOrDefault("description"), pointers.GetValueOrDefault("commentId"), pointers.GetValueOrDefault("commentBody"),
            pointers.GetValueOrDefault("commentAuthor"), deleted);
        error = mapping switch
        {
            { CommentId: null, CommentBody: not null } => $"{path}.commentBody needs commentId: comments are kept by the sender's id.",
            { CommentId: null, CommentAuthor: not null } => $"{path}.commentAuthor needs commentId and commentBody.",
            { CommentId: not null, Deleted: false, CommentBody: null } =>
                $"{path}.commentId needs commentBody (a comment added or edited), or deleted: true (the comment was deleted).",
            { Status: null, Name: null, Description: null, CommentId: null, Deleted: false } =>
                $"{path} maps nothing: give at least one of {string.Join(", ", PointerKeys)}, or deleted: true.",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }
        read = mapping;
        return true;
    }

    /// <summary>
    /// The object's keys, matched to <paramref name="known"/> regardless of case (as settings are read); an unknown or
    /// repeated one is refused.
    /// </summary>
    private static bool TryReadKeys(
        JsonElement value, string path, string[] known, out Dictionary<string, JsonElement> keys, [NotNullWhen(false)] out string? error)
    {
        keys = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var name = known.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                error = $"{path}.{property.Name} is not a known key; known: {string.Join(", ", known)}.";
                return false;
            }
            if (!keys.TryAdd(name, property.Value))
            {
                error = $"{path}.{name} is given twice.";
                return false;
            }
        }
        error = null;
        return true;
    }

    private static bool TryReadPointer(JsonElement value, string path, [NotNullWhen(true)] out JsonPointer? pointer, [NotNullWhen(false)] out string? error)
    {
        pointer = null;
        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{path} must be a JSON Pointer string (RFC 6901), e.g. \"/data/id\".";
            return false;
        }
        var text = value.GetString()!;
        if (!JsonPointer.TryParse(text, out pointer, out var problem))
        {
            error = $"{path} ({JsonSerializer.Serialize(text)}) is not a JSON Pointer: {problem}.";
            return false;
        }
        error = null;
        return true;
    }
}

/// <summary>
/// What one event type changes: each pointer is optional; <see cref="Deleted"/> deletes the comment when the type names
/// a comment id and no body (<see cref="DeletesComment"/>), and otherwise records the item's deletion
/// (<see cref="DeletesItem"/>).
/// </summary>
public sealed record EventMapping(
    JsonPointer? Status, JsonPointer? Name, JsonPointer? Description, JsonPointer? CommentId, JsonPointer? CommentBody, JsonPointer? CommentAuthor,
    bool Deleted)
{
    public bool DeletesComment => Deleted && CommentId is not null && CommentBody is null;

    public bool DeletesItem => Deleted && !DeletesComment;
}
