using Webhooks.Contracts;

namespace Webhooks.Persistence.Model;

/// <summary>
/// One received webhook, raw body and all. What waits for the bus has a row in the outbox (<see cref="OutboxEntry"/>);
/// <see cref="PublishedAt"/> is when the relay sent it (its message's send time, recorded by the worker with the outcome).
/// <see cref="Status"/> is never written <c>queued</c>: a sent delivery is read as such (<see cref="ShownDeliveryStatus"/>).
/// </summary>
public sealed class Delivery
{
    /// <summary>Column bounds (characters) of the text the ingress copies from a request's headers.</summary>
    public const int MaxContentTypeLength = 200;
    public const int MaxSourceDeliveryIdLength = 200;
    public const int MaxTraceParentLength = 100;

    public Guid Id { get; set; }
    public Guid IntegrationId { get; set; }
    public Provider Provider { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>JSON object of the headers worth keeping (event names, delivery ids); never signatures or secrets.</summary>
    public string Headers { get; set; } = "{}";
    public string? ContentType { get; set; }
    public byte[] Body { get; set; } = [];
    /// <summary>The sender's own delivery id, when it sends one (e.g. <c>X-GitHub-Delivery</c>).</summary>
    public string? SourceDeliveryId { get; set; }
    /// <summary>False when the integration has no secret, so nothing could be verified.</summary>
    public bool SignatureVerified { get; set; }
    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public int Applied { get; set; }
    public int Duplicates { get; set; }
    public int NoTarget { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }
    /// <summary>
    /// The replay that last put the delivery back in the outbox (admin API, <c>deliveries replay</c>,
    /// <c>dead-letters replay</c>): its progress is counted over the deliveries carrying its id. Null if never replayed.
    /// </summary>
    public Guid? ReplayId { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
    /// <summary>
    /// The W3C <c>traceparent</c> of the HTTP request that brought the delivery: the outbox relay sends the message
    /// under it, so the worker's spans join the request's trace although the send happens later, in the background.
    /// </summary>
    public string? TraceParent { get; set; }
}
