using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Asana;

/// <summary>
/// Asana: <c>X-Hook-Signature: &lt;hex&gt;</c> keyed with the secret its handshake sent (the endpoint stores that
/// secret when it answers <c>X-Hook-Secret</c>). Heartbeats are <c>{"events":[]}</c>: answered, never queued.
/// </summary>
public sealed class AsanaReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Asana;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    public bool IsHandshake(ReceivedWebhook webhook)
    {
        try
        {
            using var document = JsonDocument.Parse(webhook.Body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("events", out var events)
                && events.ValueKind == JsonValueKind.Array
                && events.GetArrayLength() == 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("X-Hook-Signature"), prefix: null, secret, webhook.Body.Span);

    // Asana sends no delivery id.
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => null;
}
