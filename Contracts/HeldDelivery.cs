using MassTransit;

namespace Webhooks.Contracts;

/// <summary>
/// A whole delivery the ingress could not store because PostgreSQL was unreachable: everything the deliveries row
/// holds, so a worker can store it later exactly as the ingress would have. Sent persistent and publisher-confirmed
/// to <see cref="QueueNames.Holding"/>; the 200 is answered only after the broker's confirm. The MessageId is the
/// delivery id, and storing it is idempotent on that id. The URN is pinned (see <see cref="ProcessDelivery"/>).
/// Nothing in it is trusted for being on the broker: <see cref="Seal"/> is the ingress's Data Protection seal over
/// every other field, and a worker stores the delivery only when the seal verifies and <see cref="AccountId"/> and
/// <see cref="Provider"/> match the integration (Workers/Holding). Both were added as optional fields; a message
/// without them is refused.
/// </summary>
[MessageUrn("webhooks:held-delivery:v1")]
public sealed record HeldDelivery(
    Guid DeliveryId,
    Guid IntegrationId,
    Provider Provider,
    DateTimeOffset ReceivedAt,
    string Headers,
    string? ContentType,
    byte[] Body,
    string? SourceDeliveryId,
    bool SignatureVerified,
    Guid? AccountId = null,
    string? Seal = null);
