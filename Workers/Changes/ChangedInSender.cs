namespace Webhooks.Workers.Changes;

/// <summary>
/// A change whose new value the sender's event does not carry (Asana, Smartsheet send ids only). Recorded in the
/// record's history as <c>changed in &lt;provider&gt;</c> (the words) with <see cref="Description"/> (what the event names).
/// When <see cref="Fetch"/> names an item and the integration has API credentials, the fetch step replaces this
/// change with the concrete ones read from the sender's API before anything is applied.
/// </summary>
public sealed record ChangedInSender(string ExternalItemId, string SourceEventId, DateTimeOffset SourceTimestamp, string Description, ItemReference? Fetch = null)
    : NormalizedChange(ExternalItemId, SourceEventId, SourceTimestamp);

/// <summary>
/// What to read from the sender's API: <see cref="Kind"/> (e.g. <c>task</c>, <c>story</c>, <c>row</c>, <c>comment</c>),
/// its <see cref="Id"/>, the <see cref="ContainerId"/> it lives in (a Smartsheet sheet) and the <see cref="Field"/> that
/// changed (null: every field the worker applies). <see cref="ItemUnknown"/>: the event does not say which item the
/// change belongs to (an Asana comment edit has no parent), so the fetch must tell, and the change's external id is a
/// placeholder no link matches until then.
/// </summary>
public sealed record ItemReference(string Kind, string Id, string? ContainerId = null, string? Field = null, bool ItemUnknown = false);
