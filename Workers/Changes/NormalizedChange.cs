namespace Webhooks.Workers.Changes;

/// <summary>
/// One change a sender reported, in the pipeline's own words. Every change names the sender's item
/// (<see cref="ExternalItemId"/>, matched against <c>links.external_id</c>), a <see cref="SourceEventId"/> that is
/// the same in every copy of the event whichever webhook carried it (the dedup key), and the sender's own
/// <see cref="SourceTimestamp"/> (last writer wins per field).
/// </summary>
public abstract record NormalizedChange(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp);

/// <summary>The item was created in the sending tool. Recorded in the record's history.</summary>
public sealed record ItemCreated(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string? Title)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>
/// A field changed. <see cref="RecordFields.Name"/> and <see cref="RecordFields.Description"/> are written to the record;
/// any other field is recorded in the record's history only.
/// </summary>
public sealed record FieldChanged(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string Field, string? OldValue, string? NewValue)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>The item's status changed; <see cref="NewStatus"/> is the sender's status name, mapped through the integration's statusMappings.</summary>
public sealed record StatusChanged(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string? OldStatus, string NewStatus)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>The item was deleted in the sending tool. Recorded in the record's history; the record itself stays.</summary>
public sealed record ItemDeleted(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>A comment was added. <see cref="CommentId"/> is the sender's comment id, <see cref="Author"/> its author's display name.</summary>
public sealed record CommentAdded(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string CommentId, string Body, string? Author)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>A comment's body changed.</summary>
public sealed record CommentEdited(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string CommentId, string Body, string? Author)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>
/// A deleted comment was restored in the sender (Asana's <c>undeleted</c> story): shown again with its body, unless it was
/// deleted again after this event.
/// </summary>
public sealed record CommentRestored(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string CommentId, string Body, string? Author)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>A comment was deleted.</summary>
public sealed record CommentDeleted(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string CommentId)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);
