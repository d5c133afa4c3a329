namespace Webhooks.Persistence.Model;

/// <summary>Where a received webhook is: accepted → queued → processed | duplicate | ignored | failed | dead_lettered.</summary>
public enum DeliveryStatus
{
    /// <summary>Stored durably; not yet handed to the broker.</summary>
    Accepted,
    /// <summary>On its provider's queue: a stored <see cref="Accepted"/> that no outbox row names any more (read, not written; <see cref="ShownDeliveryStatus"/>).</summary>
    Queued,
    /// <summary>Applied; the outcome counts say how many changes landed, were duplicates or had no target.</summary>
    Processed,
    /// <summary>The sender's retry of a delivery already stored, or a change already applied everywhere.</summary>
    Duplicate,
    /// <summary>Nothing to do: an unknown event, or the integration or account is inactive now.</summary>
    Ignored,
    /// <summary>A permanent error (malformed payload, mapping error); recorded, not retried.</summary>
    Failed,
    /// <summary>Transient failures past the retry limit: the message sits in the provider's error queue.</summary>
    DeadLettered,
    /// <summary>A handshake, HEAD check or ping: answered and logged, never queued.</summary>
    Handshake,
    /// <summary>A signature or organization check failed: 401, never processed.</summary>
    Rejected,
}
