using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Standard;

/// <summary>
/// Any sender that signs per the Standard Webhooks specification (<see cref="StandardSignature"/>): the integration's
/// signing secrets are <c>whsec_…</c> secrets, checked against the ingress's clock. <c>webhook-id</c> is the same on
/// every retry of a message, so it is the delivery's sender id.
/// </summary>
public sealed class StandardReceiver(TimeProvider time) : IProviderReceiver
{
    public Provider Provider => Provider.Standard;

    /// <summary>The id is the workers' event identity; the timestamp says when this attempt was signed. Never the signature.</summary>
    public IReadOnlyList<string> KeptHeaders { get; } = [StandardSignature.IdHeader, StandardSignature.TimestampHeader];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        StandardSignature.Check(webhook.Headers, webhook.Body.Span, secret, time.GetUtcNow());

    public string? FindSourceDeliveryId(ReceivedWebhook webhook) =>
        webhook.Headers[StandardSignature.IdHeader] is { Count: 1 } id ? ReceivedWebhook.NullIfBlank(id[0]) : null;
}
