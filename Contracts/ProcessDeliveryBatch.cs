using MassTransit;

namespace Webhooks.Contracts;

/// <summary>
/// A claim check for several stored deliveries of one provider, sent by the outbox relay when one pass claimed more
/// than one: the broker stores and delivers one message instead of one per delivery. The deliveries stay in
/// PostgreSQL and each still gets its own outcome; one that fails in the batch goes back to the outbox, is sent alone as
/// a <see cref="ProcessDelivery"/> and is retried and dead-lettered as that single-delivery message, so an error queue
/// only ever holds <see cref="ProcessDelivery"/> messages. The URN is pinned; new fields must be optional.
/// </summary>
[MessageUrn("webhooks:process-delivery-batch:v1")]
public sealed record ProcessDeliveryBatch(Provider Provider, IReadOnlyList<BatchedDelivery> Deliveries);

/// <summary>
/// One delivery of a <see cref="ProcessDeliveryBatch"/>: what a <see cref="ProcessDelivery"/> names, and the W3C
/// <c>traceparent</c> of the request that brought it, so its processing joins that request's trace.
/// </summary>
public sealed record BatchedDelivery(Guid DeliveryId, Guid IntegrationId, DateTimeOffset ReceivedAt, string? TraceParent = null);
