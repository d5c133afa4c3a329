using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Jira;

/// <summary>Jira Cloud admin webhooks: <c>X-Hub-Signature: sha256=&lt;hex&gt;</c> when the webhook has a secret.</summary>
public sealed class JiraReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Jira;

    public IReadOnlyList<string> KeptHeaders { get; } =
        ["X-Atlassian-Webhook-Identifier", "X-Atlassian-Webhook-Retry", "X-Atlassian-Webhook-Flow"];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("X-Hub-Signature"), "sha256=", secret, webhook.Body.Span);

    // Stable across Jira's retries of one delivery, distinct per webhook.
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => ReceivedWebhook.NullIfBlank(webhook.Headers["X-Atlassian-Webhook-Identifier"]);
}
