using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Applying;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Standard;

/// <summary>
/// Senders that follow the Standard Webhooks specification (standardwebhooks.com). The specification fixes the
/// envelope, <c>{"type", "timestamp", "data"}</c>, not what an event means, so the integration's
/// <c>settings.mapping</c> (<see cref="PayloadMapping"/>) says it: JSON Pointers to the item id and, per event type, to
/// a status, name, description or comment, or that the type deletes. A type the mapping does not name, or no mapping,
/// is ignored with the reason. The event time (<c>/timestamp</c> unless the mapping names another) orders the changes:
/// an RFC 3339 string, or a number of Unix seconds (or milliseconds, from 10^11 on: no event is from the year 5138).
/// <para>
/// Dedup keys: <c>standard:{webhook-id}:{type}:{item id}:{status|name|description|deleted|comment:{id}}</c>. The
/// specification defines <c>webhook-id</c> as the id of the event, the same on every retry and, where the sender fans a
/// message out to several endpoints (Svix and the senders built on it), in every endpoint's copy: so one event
/// delivered through two integrations applies once per record. The type and item guard against two senders whose ids
/// collide. A sender that gives each endpoint its own id gets the change applied once per integration; applying the
/// same value again changes nothing (last writer wins, comments are kept by their id).
/// </para>
/// </summary>
public sealed partial class StandardPayloadParser : IPayloadParser
{
    public const string IdHeader = "webhook-id";

    /// <summary>From this value on, a numeric time is in milliseconds (as seconds it would be past the year 5000).</summary>
    private const double MillisecondsFrom = 100_000_000_000;

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    public Provider Provider => Provider.Standard;

    /// <summary>Without an integration there is no mapping: the envelope is read, and the event ignored.</summary>
    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers) =>
        Parse(body, headers, mapping: null);

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers, Integration integration)
    {
        IntegrationSettings settings;
        try
        {
            settings = IntegrationSettings.Parse(integration.Settings);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"The settings of integration '{integration.Name}' are not valid JSON: {e.Message}");
        }
        if (settings.Mapping is not { ValueKind: not JsonValueKind.Null } given)
        {
            return Parse(body, headers, mapping: null);
        }
        return PayloadMapping.TryRead(given, out var mapping, out var error)
            ? Parse(body, headers, mapping)
            : ParseResult.Failed($"Integration '{integration.Name}': {error}");
    }

    public static ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers, PayloadMapping? mapping)
    {
        // JsonDocument checks the structure but not the UTF-8 inside strings; reading a broken one would throw.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return ParseResult.Failed("Not a Standard Webhooks payload: the body is not UTF-8 (JSON must be).");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a Standard Webhooks payload: the body is not JSON ({e.Message}).");
        }
        using (document)
        {
            try
            {
                return Parse(document.RootElement, headers, mapping);
            }
            catch (InvalidOperationException e)
            {
                // Typically a string escaping half a surrogate pair (\ud800): JSON, but no text.
                return ParseResult.Failed($"Not a Standard Webhooks payload: a value in the body could not be read as text, e.g. one that is not valid Unicode ({e.Message}).");
            }
        }
    }

    private static ParseResult Parse(JsonElement root, IReadOnlyDictionary<string, string> headers, PayloadMapping? mapping)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ParseResult.Failed("Not a Standard Webhooks payload: the body is not a JSON object.");
        }
        if (!root.TryGetProperty("type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(typeValue.GetString()))
        {
            return ParseResult.Failed("Not a Standard Webhooks payload: it has no \"type\" naming the event.");
        }
        var type = typeValue.GetString()!;
        if (mapping is null)
        {
            return ParseResult.Ignored($"Event '{type}' is not applied: the integration has no settings.mapping saying what its events change.");
        }
        if (!mapping.Types.TryGetValue(type, out var eventMapping))
        {
            return ParseResult.Ignored($"Event type '{type}' is not in the integration's settings.mapping.types.");
        }
        return Changes(root, type, FindHeader(headers, IdHeader), mapping, eventMapping);
    }

    private static ParseResult Changes(JsonElement root, string type, string? webhookId, PayloadMapping mapping, EventMapping eventMapping)
    {
        if (string.IsNullOrEmpty(webhookId))
        {
            return ParseResult.Failed($"The delivery has no {IdHeader} header; every Standard Webhooks sender sends one (it names the event).");
        }
        if (!TryReadTime(root, mapping.Timestamp, out var at, out var timeProblem))
        {
            return ParseResult.Failed($"Event '{type}' has no usable time at {Shown(mapping.Timestamp)}: {timeProblem}");
        }
        var itemId = Read(root, mapping.ItemId, "itemId");
        if (itemId.Problem is { } itemProblem)
        {
            return ParseResult.Failed(itemProblem);
        }
        if (string.IsNullOrEmpty(itemId.Text))
        {
            return ParseResult.Failed($"Event '{type}' has no item id at {Shown(mapping.ItemId)} (settings.mapping.itemId).");
        }
        var item = itemId.Text;
        var key = $"standard:{webhookId}:{type}:{item}";

        var changes = new List<NormalizedChange>();
        var missing = new List<string>();
        if (eventMapping.Status is { } statusPointer)
        {
            var status = Read(root, statusPointer, "status");
            if (status.Problem is not null)
            {
                return ParseResult.Failed(status.Problem);
            }
            if (!string.IsNullOrEmpty(status.Text))
            {
                changes.Add(new StatusChanged(item, $"{key}:status", at, null, status.Text));
            }
            else
            {
                missing.Add(Shown(statusPointer));
            }
        }
        if (eventMapping.Name is { } namePointer)
        {
            var name = Read(root, namePointer, "name");
            if (name.Problem is not null)
            {
                return ParseResult.Failed(name.Problem);
            }
            if (!string.IsNullOrEmpty(name.Text))
            {
                changes.Add(new FieldChanged(item, $"{key}:name", at, RecordFields.Name, null, SenderText.Cut(name.Text, ChangeApplier.MaxNameLength)));
            }
            else
            {
                missing.Add(Shown(namePointer));
            }
        }
        if (eventMapping.Description is { } descriptionPointer)
        {
            var description = Read(root, descriptionPointer, "description");
            if (description.Problem is not null)
            {
                return ParseResult.Failed(description.Problem);
            }
            // An explicit null clears the description; a value that is not there changes nothing.
            if (description.Found)
            {
                changes.Add(new FieldChanged(item, $"{key}:description", at, RecordFields.Description, null, description.Text));
            }
            else
            {
                missing.Add(Shown(descriptionPointer));
            }
        }
        if (eventMapping.CommentId is { } commentIdPointer)
        {
            var comment = Comment(root, item, key, at, eventMapping, commentIdPointer);
            if (comment.Failure is not null)
            {
                return ParseResult.Failed(comment.Failure);
            }
            if (comment.Change is not null)
            {
                changes.Add(comment.Change);
            }
            else
            {
                missing.Add(comment.Missing!);
            }
        }
        if (eventMapping.DeletesItem)
        {
            changes.Add(new ItemDeleted(item, $"{key}:deleted", at));
        }

        return changes.Count > 0
            ? ParseResult.Parsed(changes)
            : ParseResult.Ignored($"Event '{type}' of item {item} changes nothing: the payload has no value at {string.Join(", ", missing)}.");
    }

    /// <summary>The comment change; or the pointer that found nothing (<see cref="CommentRead.Missing"/>); or why the payload cannot be read.</summary>
    private static CommentRead Comment(JsonElement root, string item, string key, DateTimeOffset at, EventMapping mapping, JsonPointer idPointer)
    {
        var id = Read(root, idPointer, "commentId");
        if (id.Problem is not null)
        {
            return new CommentRead(null, null, id.Problem);
        }
        if (string.IsNullOrEmpty(id.Text))
        {
            return new CommentRead(null, Shown(idPointer), null);
        }
        if (id.Text.Length > MaxCommentIdLength)
        {
            return new CommentRead(null, null, $"The comment id at {Shown(idPointer)} is longer than {MaxCommentIdLength} characters.");
        }
        var commentKey = $"{key}:comment:{id.Text}";
        if (mapping.DeletesComment)
        {
            return new CommentRead(new CommentDeleted(item, commentKey, at, id.Text), null, null);
        }
        var body = Read(root, mapping.CommentBody!, "commentBody");
        var author = mapping.CommentAuthor is { } authorPointer ? Read(root, authorPointer, "commentAuthor") : default;
        if ((body.Problem ?? author.Problem) is { } problem)
        {
            return new CommentRead(null, null, problem);
        }
        if (body.Text is null)
        {
            return new CommentRead(null, Shown(mapping.CommentBody!), null);
        }
        var authorName = author.Text is { } name ? SenderText.Cut(name, ChangeApplier.MaxAuthorLength) : null;
        return new CommentRead(new CommentAdded(item, commentKey, at, id.Text, body.Text, authorName), null, null);
    }

    private readonly record struct CommentRead(NormalizedChange? Change, string? Missing, string? Failure);

    /// <summary>
    /// The text at a pointer: a string, or a number or boolean as written. <see cref="Value.Found"/> with no text is an
    /// explicit null; an object or array is a <see cref="Value.Problem"/> (the mapping points at the wrong place).
    /// </summary>
    private static Value Read(JsonElement root, JsonPointer pointer, string key)
    {
        if (!pointer.TryResolve(root, out var value))
        {
            return new Value(false, null, null);
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => new Value(true, value.GetString(), null),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => new Value(true, value.GetRawText(), null),
            JsonValueKind.Null => new Value(true, null, null),
            _ => new Value(true, null, $"settings.mapping {key} points at {Shown(pointer)}, which holds "
                + $"{(value.ValueKind == JsonValueKind.Object ? "an object" : "an array")} in this payload; it must point at a string or a number."),
        };
    }

    private readonly record struct Value(bool Found, string? Text, string? Problem);

    private static bool TryReadTime(JsonElement root, JsonPointer pointer, out DateTimeOffset at, out string problem)
    {
        at = default;
        if (!pointer.TryResolve(root, out var value))
        {
            problem = "there is no such value.";
            return false;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            // .NET reads up to 7 fractional digits; RFC 3339 allows more (Go's nanoseconds), which add nothing here.
            var trimmed = ExtraFractionDigits().Replace(text, "$1");
            if (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at)
                && trimmed.Contains('T', StringComparison.OrdinalIgnoreCase))
            {
                problem = "";
                return true;
            }
            problem = "the text is not an RFC 3339 date and time (e.g. 2022-11-03T20:26:10.344522Z).";
            return false;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number))
        {
            var milliseconds = Math.Abs(number) >= MillisecondsFrom ? number : number * 1000;
            if (milliseconds >= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                at = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(milliseconds));
                problem = "";
                return true;
            }
        }
        problem = "it must be an RFC 3339 date and time, or a number of Unix seconds or milliseconds.";
        return false;
    }

    private const int MaxCommentIdLength = 200;

    private static string Shown(JsonPointer pointer) => pointer.Text.Length == 0 ? "\"\" (the whole payload)" : pointer.Text;

    private static string? FindHeader(IReadOnlyDictionary<string, string> headers, string name)
    {
        if (headers.TryGetValue(name, out var value))
        {
            return value.Trim();
        }
        return headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.Trim();
    }

    [GeneratedRegex(@"(\.\d{7})\d+", RegexOptions.CultureInvariant)]
    private static partial Regex ExtraFractionDigits();
}
