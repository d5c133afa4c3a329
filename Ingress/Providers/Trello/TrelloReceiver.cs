using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Trello;

/// <summary>Trello: signed over body + callback URL; its <c>HEAD</c> check is answered by the endpoint.</summary>
public sealed class TrelloReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Trello;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        TrelloSignature.Check(webhook.Signature("X-Trello-Webhook"), secret, webhook.Body.Span, webhook.CallbackUrl);

    // One Trello action is one immutable object: every webhook and every retry carries the same id.
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => JsonBody.Find(webhook.Body, "action", "id");
}
