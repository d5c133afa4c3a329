using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.GitHub;

/// <summary>GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>; the <c>ping</c> event is answered and logged, never queued.</summary>
public sealed class GitHubReceiver : IProviderReceiver
{
    public Provider Provider => Provider.GitHub;

    public IReadOnlyList<string> KeptHeaders { get; } =
        ["X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-Type", "X-GitHub-Hook-Installation-Target-ID"];

    public bool IsHandshake(ReceivedWebhook webhook) =>
        string.Equals(webhook.Headers["X-GitHub-Event"], "ping", StringComparison.OrdinalIgnoreCase);

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("X-Hub-Signature-256"), "sha256=", secret, webhook.Body.Span);

    // The GUID is per event and the same on a manual redelivery: per integration it identifies the delivery.
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => ReceivedWebhook.NullIfBlank(webhook.Headers["X-GitHub-Delivery"]);
}
