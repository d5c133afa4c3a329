using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>One delivery as the ingress writes it (the columns a worker fills later are left at their defaults).</summary>
public sealed record DeliveryRow(
    Guid Id,
    Guid IntegrationId,
    Provider Provider,
    DateTimeOffset ReceivedAt,
    string Headers,
    string? ContentType,
    byte[] Body,
    string? SourceDeliveryId,
    bool SignatureVerified,
    DeliveryStatus Status,
    string? LastError = null);
