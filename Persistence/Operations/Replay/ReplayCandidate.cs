using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Operations.Replay;

/// <summary>A stored delivery a replay would take, as a dry run shows it.</summary>
public sealed record ReplayCandidate(Guid Id, Guid IntegrationId, Provider Provider, DeliveryStatus Status, DateTimeOffset ReceivedAt);
