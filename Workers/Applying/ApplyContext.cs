using Webhooks.Contracts;

namespace Webhooks.Workers.Applying;

/// <summary>
/// Who applies (the run-as user, now), on behalf of which delivery and integration. <see cref="ReceivedAt"/> is when
/// the ingress received the delivery: last writer wins breaks a tie of source times with it.
/// </summary>
public sealed record ApplyContext(
    Guid DeliveryId, Guid IntegrationId, Provider Provider, Guid RunAsUserId, IReadOnlyDictionary<string, string> StatusMappings, DateTimeOffset ReceivedAt);
