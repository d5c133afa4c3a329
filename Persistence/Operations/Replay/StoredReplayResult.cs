namespace Webhooks.Persistence.Operations.Replay;

/// <summary>
/// A replay of stored deliveries: <see cref="Selected"/> matched the filter, <see cref="Replayed"/> of them were put back
/// in the outbox (fewer only if some were deleted or became a handshake meanwhile). Its progress is
/// <see cref="StoredDeliveryReplay.ProgressAsync"/> with <see cref="ReplayId"/>.
/// </summary>
public sealed record StoredReplayResult(Guid ReplayId, int Selected, int Replayed);
