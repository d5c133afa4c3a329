using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>What the door needs to know about an integration, held in memory by <see cref="IntegrationsByToken"/>.</summary>
/// <param name="SigningSecrets">Decrypted, oldest first; empty when the integration has none.</param>
public sealed record LiveIntegration(
    Guid Id,
    Guid AccountId,
    Provider Provider,
    bool Enabled,
    AccountStatus AccountStatus,
    IReadOnlyList<SigningSecret> SigningSecrets,
    IntegrationSettings Settings)
{
    /// <summary>Disabled integrations and disabled or suspended accounts answer 410 like an unknown token.</summary>
    public bool IsLive => Enabled && AccountStatus == AccountStatus.Active;

    /// <summary>The log scope of each request to this integration, built once with the entry rather than per request.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> LogScope { get; } =
        [new("IntegrationId", Id), new("Provider", Provider.ToWireName())];

    /// <summary>The secrets a signature may be made with at <paramref name="now"/>: any of them verifies.</summary>
    public IReadOnlyList<string> SecretsInForceAt(DateTimeOffset now) =>
        SigningSecrets.Count == 0 ? [] : SigningSecrets.Where(secret => secret.IsInForceAt(now)).Select(secret => secret.Value).ToArray();
}
