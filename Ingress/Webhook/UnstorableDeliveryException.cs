namespace Webhooks.Ingress.Webhook;

/// <summary>
/// The database refused this delivery's row itself (a data or constraint error), not the batch it was in: storing it
/// again, or holding it for a worker to store, would meet the same refusal, so its sender is told it was not accepted.
/// </summary>
public sealed class UnstorableDeliveryException(string reason, Exception inner)
    : Exception($"The delivery's row was refused ({reason}).", inner);
