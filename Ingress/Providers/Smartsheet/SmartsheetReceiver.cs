using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Smartsheet;

/// <summary>
/// Smartsheet: <c>Smartsheet-Hmac-SHA256: &lt;hex&gt;</c> (its own sample drops leading zeros, so shorter hex is
/// padded). The verification challenge, which repeats every 100 callbacks, is answered by the endpoint for any provider.
/// </summary>
public sealed class SmartsheetReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Smartsheet;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("Smartsheet-Hmac-SHA256"), prefix: null, secret, webhook.Body.Span);

    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => JsonBody.Find(webhook.Body, "nonce");
}
