using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>What the door needs to know about an integration, held in memory by <see cref="IntegrationDirectory"/>.</summary>
public sealed record LiveIntegration(
    Guid Id,
    Guid AccountId,
    Provider Provider,
    bool Enabled,
    AccountStatus AccountStatus,
    string? SigningSecret,
    IntegrationSettings Settings)
{
    /// <summary>Disabled integrations and disabled or suspended accounts answer 410 like an unknown token.</summary>
    public bool IsLive => Enabled && AccountStatus == AccountStatus.Active;
}
