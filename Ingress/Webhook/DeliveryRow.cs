using System.Diagnostics;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// One delivery as the ingress writes it (the columns a worker fills later are left at their defaults). The text taken
/// from request headers is bounded here, once, for every path that stores it (the group commit and the holding queue),
/// so no value a sender chooses can fail a batch it shares with others (<see cref="StoredText"/>).
/// </summary>
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
    string? LastError = null)
{
    public string? ContentType { get; } = StoredText.Bound(ContentType, Delivery.MaxContentTypeLength);

    public string? SourceDeliveryId { get; } = StoredText.Identifier(SourceDeliveryId, Delivery.MaxSourceDeliveryIdLength);

    /// <summary>
    /// The W3C traceparent of the request the row was made in (rows are made inside the request, written later by
    /// the batch writer): the outbox relay sends the message under it, so one trace runs from request to worker.
    /// </summary>
    public string? TraceParent { get; init; } = Activity.Current is { IdFormat: ActivityIdFormat.W3C } request
        ? StoredText.Bound(request.Id, Delivery.MaxTraceParentLength)
        : null;
}
