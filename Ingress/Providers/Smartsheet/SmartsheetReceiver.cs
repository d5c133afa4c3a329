using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Smartsheet;

/// <summary>
/// Smartsheet: <c>Smartsheet-Hmac-SHA256: &lt;hex&gt;</c> (its own sample drops leading zeros, so shorter hex is
/// padded). Its verification challenge (<c>Smartsheet-Hook-Challenge</c>) comes when a webhook is enabled and again
/// every 100 callbacks, so it is answered at any time, as every receiver answers it (<see cref="HandshakeAnswer.Echo"/>);
/// it carries no secret.
/// </summary>
public sealed class SmartsheetReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Smartsheet;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("Smartsheet-Hmac-SHA256"), prefix: null, secret, webhook.Body.Span);

    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => JsonBody.Find(webhook.Body, "nonce");
}
