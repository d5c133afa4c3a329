using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Rally;

/// <summary>Rally signs nothing: when settings name a <c>subscriptionId</c>, <c>message.subscription_id</c> must match.</summary>
public sealed class RallyReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Rally;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.SubscriptionId))
        {
            return SignatureCheck.NoSecret;
        }
        // An unreadable body cannot prove its subscription, so it is refused like a wrong one.
        var subscription = JsonBody.Find(webhook.Body, "message", "subscription_id");
        return string.Equals(subscription, settings.SubscriptionId.Trim(), StringComparison.Ordinal)
            ? SignatureCheck.SenderMatched
            : SignatureCheck.Mismatch;
    }

    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => JsonBody.Find(webhook.Body, "message", "message_id");
}
