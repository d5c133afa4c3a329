using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Rally;

/// <summary>
/// Rally ("pigeon") webhooks (providers.md §3). The envelope is <c>{message, rule, Timestamp}</c>; the event is
/// <c>message.action</c> (Created, Updated, Deleted) on <c>message.object_type</c>; the link's external id is
/// <c>message.object_id</c> (the object UUID). <c>message.state</c> and <c>message.changes</c> are keyed by attribute
/// UUID, so attributes are found by their <c>name</c>.
/// <para>
/// Dedup key: <c>rally:{message.message_id}:{field}</c> (the change message every matching webhook receives); without a
/// message id, <c>rally:{object_id}:v{state.VersionId}:{field}</c>.
/// </para>
/// <para>
/// Ordering (<see cref="RevisionTime"/>): the revision's own time, <c>transaction.timestamp</c> (epoch milliseconds,
/// the revision's <c>LastUpdateDate</c>), plus <c>state.VersionId</c> microseconds (up to 999) so that revisions of one
/// millisecond keep VersionId's order: a later revision never loses to an earlier one, whatever the arrival order, and a
/// record also linked to another sender compares real times with that sender's. Without a transaction time, the
/// VersionId alone orders (<see cref="VersionTime"/>, the Unix epoch plus VersionId seconds): comparable only with other
/// revisions that lack one too (any revision with a transaction time is newer). From VersionId 999 on, two revisions of
/// one millisecond tie, and the later received wins. A Created or Deleted without a VersionId takes <c>transaction.timestamp</c>: those only add
/// history.
/// </para>
/// <para>
/// Discussion posts: a <c>ConversationPost</c> is a comment on the artifact its <c>Artifact</c> attribute names
/// (<c>state.Artifact.value.id</c>), with its <c>Text</c>; the comment id is the post's object_id. No real sample exists
/// (providers.md §9): this follows Rally's ConversationPost object (Artifact, Text, User) in the webhook state shape of the
/// recorded samples, where an object attribute's value is <c>{name, ref, id, object_type, …}</c>.
/// </para>
/// </summary>
public sealed class RallyPayloadParser : IPayloadParser
{
    public Provider Provider => Provider.Rally;

    private static readonly HashSet<string> Artifacts = new(StringComparer.Ordinal)
    {
        "HierarchicalRequirement", "Defect", "Task", "TestCase", "DefectSuite",
        "PortfolioItem", "Feature", "Epic", "Initiative", "Theme", "Investment",
    };

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a Rally webhook: the body is empty.");
        }
        // JsonDocument checks strings' UTF-8 only when one is read, and then throws InvalidOperationException.
        if (!Utf8.IsValid(body.Span))
        {
            return ParseResult.Failed("Not a Rally webhook: the body is not valid UTF-8.");
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            return Parse(document.RootElement);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a Rally webhook: the body is not JSON ({e.Message}).");
        }
        catch (InvalidOperationException e)
        {
            // A string escaping half a surrogate pair (\ud800): JSON, but no text.
            return ParseResult.Failed($"Not a Rally webhook: a string in the body is not valid Unicode ({e.Message}).");
        }
    }

    private static ParseResult Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return ParseResult.Failed("Not a Rally webhook: there is no message object.");
        }
        var action = Property(message, "action");
        var objectType = Property(message, "object_type");
        var objectId = Property(message, "object_id");
        if (action is null || objectType is null)
        {
            return ParseResult.Failed("Not a Rally webhook: the message has no action or object_type.");
        }
        if (objectId is null)
        {
            return ParseResult.Failed($"Not a Rally webhook: {action} {objectType} has no object_id.");
        }
        if (action is not ("Created" or "Updated" or "Deleted"))
        {
            return ParseResult.Ignored($"Rally action '{action}' on {objectType} is not one the workers apply.");
        }

        var state = Object(message, "state");
        var changes = Object(message, "changes");
        if (!TryVersion(state, out var version))
        {
            return ParseResult.Failed($"Not a Rally webhook: {action} {objectType} {objectId} has a state.VersionId that is not a revision number ({Value(Attribute(state, "VersionId")!.Value)?.GetRawText()}).");
        }
        var messageId = Property(message, "message_id");
        var keyPrefix = messageId is not null ? $"rally:{messageId}"
            : version is { } v ? $"rally:{objectId}:v{v}"
            : null;
        if (keyPrefix is null)
        {
            return ParseResult.Failed($"Not a Rally webhook: {action} {objectType} {objectId} has neither a message_id nor a state.VersionId.");
        }
        DateTimeOffset? transactionTime = message.TryGetProperty("transaction", out var transaction) && transaction.ValueKind == JsonValueKind.Object
            && transaction.TryGetProperty("timestamp", out var epoch) && epoch.ValueKind == JsonValueKind.Number && epoch.TryGetInt64(out var ms)
            && ms is >= 0 and <= MaxEpochMilliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
        DateTimeOffset? at = version is { } ver ? RevisionTime(transactionTime, ver) : transactionTime;

        var context = new RallyMessage(action, objectType, objectId, keyPrefix, version, at, state, changes);
        if (objectType == "ConversationPost")
        {
            return Post(context);
        }
        if (!Artifacts.Contains(objectType) && !objectType.StartsWith("PortfolioItem", StringComparison.Ordinal))
        {
            return ParseResult.Ignored($"Rally {action} on {objectType} is not one the workers apply (stories, defects, tasks, portfolio items and discussion posts are).");
        }
        return action switch
        {
            "Created" => Created(context),
            "Deleted" => at is { } deletedAt
                ? ParseResult.Parsed([new ItemDeleted(objectId, $"{keyPrefix}:deleted", deletedAt)])
                : ParseResult.Failed($"Not a Rally webhook: Deleted {objectType} {objectId} has neither state.VersionId nor transaction.timestamp."),
            _ => Updated(context),
        };
    }

    private static ParseResult Created(RallyMessage m)
    {
        if (m.At is not { } at)
        {
            return ParseResult.Failed($"Not a Rally webhook: Created {m.ObjectType} {m.ObjectId} has neither state.VersionId nor transaction.timestamp.");
        }
        var result = new List<NormalizedChange> { new ItemCreated(m.ObjectId, $"{m.KeyPrefix}:created", at, Text(Attribute(m.State, "Name"), "value")) };
        // A new item starts in a status: applied like a change, so the record follows it from the start (only with a
        // VersionId, which is what orders it against later updates).
        if (m.Version is not null && StatusAttribute(m.State) is { } status && Text(status, "value") is { Length: > 0 } statusName)
        {
            result.Add(new StatusChanged(m.ObjectId, $"{m.KeyPrefix}:{Text(status, "name")}", at, null, statusName));
        }
        return ParseResult.Parsed(result);
    }

    private static ParseResult Updated(RallyMessage m)
    {
        // Field writes need a VersionId: it orders revisions within their transaction's millisecond (RevisionTime).
        if (m.Version is null || m.At is not { } at)
        {
            return ParseResult.Failed($"Not a Rally webhook: Updated {m.ObjectType} {m.ObjectId} has no state.VersionId to order it by.");
        }
        var result = new List<NormalizedChange>();
        foreach (var change in Attributes(m.Changes))
        {
            var name = Text(change, "name");
            var key = $"{m.KeyPrefix}:{name}";
            switch (name)
            {
                case "ScheduleState" or "State":
                    if (Text(change, "value") is { Length: > 0 } newStatus)
                    {
                        result.Add(new StatusChanged(m.ObjectId, key, at, Text(change, "old_value"), newStatus));
                    }
                    else
                    {
                        result.Add(new FieldChanged(m.ObjectId, key, at, $"rally:{name}", Text(change, "old_value"), null));
                    }
                    break;
                case "Name":
                    result.Add(new FieldChanged(m.ObjectId, key, at, RecordFields.Name, Text(change, "old_value"), Text(change, "value")));
                    break;
                case "Description":
                    result.Add(new FieldChanged(m.ObjectId, key, at, RecordFields.Description, Text(change, "old_value"), Text(change, "value")));
                    break;
                case "VersionId" or "LastUpdateDate" or null:
                    break;
                default:
                    result.Add(new FieldChanged(m.ObjectId, key, at, $"rally:{name}", Text(change, "old_value"), Text(change, "value")));
                    break;
            }
        }
        return result.Count == 0
            ? ParseResult.Ignored($"Rally Updated {m.ObjectType} {m.ObjectId} names no changed attribute the workers record.")
            : ParseResult.Parsed(result);
    }

    private static ParseResult Post(RallyMessage m)
    {
        if (m.At is not { } at)
        {
            return ParseResult.Failed($"Not a Rally webhook: {m.Action} ConversationPost {m.ObjectId} has neither state.VersionId nor transaction.timestamp.");
        }
        var artifact = Attribute(m.State, "Artifact") is { } artifactAttribute ? Value(artifactAttribute) : null;
        var artifactId = artifact is { ValueKind: JsonValueKind.Object } a ? Property(a, "id") : null;
        if (artifactId is null)
        {
            return m.Action == "Deleted"
                ? ParseResult.Ignored($"Rally Deleted ConversationPost {m.ObjectId} does not name its artifact; nothing to delete it from.")
                : ParseResult.Failed($"Not a Rally webhook: ConversationPost {m.ObjectId} has no state.Artifact id.");
        }
        var key = $"{m.KeyPrefix}:post";
        if (m.Action == "Deleted")
        {
            return ParseResult.Parsed([new CommentDeleted(artifactId, key, at, m.ObjectId)]);
        }
        var text = Text(Attribute(m.State, "Text"), "value") ?? "";
        var author = Attribute(m.State, "User") is { } user && Value(user) is { ValueKind: JsonValueKind.Object } u ? Property(u, "name") : null;
        return m.Action == "Created"
            ? ParseResult.Parsed([new CommentAdded(artifactId, key, at, m.ObjectId, text, author)])
            : ParseResult.Parsed([new CommentEdited(artifactId, key, at, m.ObjectId, text, author)]);
    }

    // Bounds that keep the conversions below inside DateTimeOffset's range: a value outside them is treated as absent.
    private const long MaxVersionId = 100_000_000_000;
    private const long MaxEpochMilliseconds = 253_402_300_799_999;

    /// <summary>
    /// <c>state.VersionId</c>: absent or null is no version (false only for a value that names none). Its type is
    /// <c>Integer</c>, and Rally writes the value as a JSON number or as a numeric string; both are the number they name.
    /// </summary>
    private static bool TryVersion(JsonElement? state, out long? version)
    {
        version = null;
        if (Attribute(state, "VersionId") is not { } attribute || Value(attribute) is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        long number = 0;
        var readable = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out number),
            JsonValueKind.String => long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out number),
            _ => false,
        };
        if (!readable || number is < 0 or > MaxVersionId)
        {
            return false;
        }
        version = number;
        return true;
    }

    /// <summary>The revision order as a timestamp-like value: one second per VersionId after the Unix epoch.</summary>
    public static DateTimeOffset VersionTime(long versionId) => DateTimeOffset.UnixEpoch.AddSeconds(versionId);

    /// <summary>
    /// A revision's source time: its transaction time plus VersionId microseconds (at most 999, so still within that
    /// millisecond), which orders revisions of one millisecond; <see cref="VersionTime"/> without a transaction time.
    /// </summary>
    public static DateTimeOffset RevisionTime(DateTimeOffset? transactionTime, long versionId) =>
        transactionTime is { } time ? time.AddTicks(Math.Min(versionId, 999) * TimeSpan.TicksPerMicrosecond) : VersionTime(versionId);

    private static JsonElement? StatusAttribute(JsonElement? state) => Attribute(state, "ScheduleState") is { } schedule && Value(schedule) is { ValueKind: not JsonValueKind.Null }
        ? schedule
        : Attribute(state, "State");

    private static IEnumerable<JsonElement> Attributes(JsonElement? keyedByUuid) =>
        keyedByUuid is { ValueKind: JsonValueKind.Object } map
            ? map.EnumerateObject().Select(p => p.Value).Where(v => v.ValueKind == JsonValueKind.Object)
            : [];

    private static JsonElement? Attribute(JsonElement? keyedByUuid, string name) =>
        Attributes(keyedByUuid).Cast<JsonElement?>().FirstOrDefault(a => Property(a!.Value, "name") == name);

    private static JsonElement? Value(JsonElement attribute) => attribute.TryGetProperty("value", out var value) ? value : null;

    /// <summary>
    /// An attribute value as text: a string as is; an object value (a State, a User, a Rating) by its <c>name</c> or
    /// <c>value</c>; numbers and booleans as written.
    /// </summary>
    private static string? Text(JsonElement? attribute, string property)
    {
        if (attribute is not { ValueKind: JsonValueKind.Object } holder || !holder.TryGetProperty(property, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => Property(value, "name") ?? Property(value, "value") ?? Property(value, "_refObjectName"),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
    }

    private static string? Property(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static JsonElement? Object(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private sealed record RallyMessage(string Action, string ObjectType, string ObjectId, string KeyPrefix, long? Version, DateTimeOffset? At, JsonElement? State, JsonElement? Changes);
}
