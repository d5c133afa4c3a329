using MassTransit;

namespace Webhooks.Contracts;

/// <summary>
/// A claim check: the raw body stays in PostgreSQL, the message names the stored delivery.
/// The URN is pinned so a namespace refactor cannot strand messages already queued.
/// New fields must be optional; a breaking change gets a new type.
/// </summary>
[MessageUrn("webhooks:process-delivery:v1")]
public sealed record ProcessDelivery(Guid DeliveryId, Guid IntegrationId, Provider Provider, DateTimeOffset ReceivedAt);
