using Webhooks.Contracts;

namespace Webhooks.Workers.Applying;

/// <summary>Who applies (the run-as user, now), on behalf of which delivery and integration.</summary>
public sealed record ApplyContext(Guid DeliveryId, Guid IntegrationId, Provider Provider, Guid RunAsUserId, IReadOnlyDictionary<string, string> StatusMappings);
