using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers;

/// <summary>
/// The one seam for what a sender needs answered while it waits. One implementation per provider, in its folder;
/// registering it is one line in <see cref="ProvidersExtensions"/>. The endpoint never switches on the provider.
/// </summary>
public interface IProviderReceiver
{
    Provider Provider { get; }

    /// <summary>Request headers worth keeping with the delivery (event names, delivery ids). Never signatures.</summary>
    IReadOnlyList<string> KeptHeaders { get; }

    /// <summary>
    /// A handshake made in the headers, answered before any body is read; null when the request is not one. The endpoint
    /// sends the answer, records it in the delivery log and never queues it. Every live token echoes both header
    /// handshakes (<see cref="HandshakeAnswer.Echo"/>); a sender whose handshake hands over state (Asana's secret) keeps it
    /// first, under its own rules.
    /// </summary>
    ValueTask<HandshakeAnswer?> AnswerHandshakeAsync(HandshakeRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(HandshakeAnswer.Echo(request.Headers));

    /// <summary>A request answered 200 and logged but never queued (GitHub's ping, Asana's heartbeat).</summary>
    bool IsHandshake(ReceivedWebhook webhook) => false;

    /// <summary>The sender's authentication check over the raw bytes with one secret (null: none), constant-time.</summary>
    SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings);

    /// <summary>
    /// The check against every secret the integration keeps in force (one per Asana webhook; a rotated secret during its
    /// grace period): valid when any verifies. Every secret is tried, so the time taken does not tell which one matched.
    /// </summary>
    SignatureCheck CheckSignatureWithAny(ReceivedWebhook webhook, IReadOnlyList<string> secrets, IntegrationSettings settings)
    {
        if (secrets.Count == 0)
        {
            return CheckSignature(webhook, null, settings);
        }
        var first = CheckSignature(webhook, secrets[0], settings);
        var valid = first == SignatureCheck.Valid;
        for (var i = 1; i < secrets.Count; i++)
        {
            valid |= CheckSignature(webhook, secrets[i], settings) == SignatureCheck.Valid;
        }
        return valid ? SignatureCheck.Valid : first;
    }

    /// <summary>The sender's own id of this delivery, the same on its retries; null when it sends none.</summary>
    string? FindSourceDeliveryId(ReceivedWebhook webhook);

    /// <summary>
    /// The body as it is stored and shown in the delivery log: the raw body (the default), less values that must not be
    /// kept at rest, such as the live API session a Salesforce outbound message carries. Signatures are checked over the
    /// raw body before this; what it removes must be nothing the workers need.
    /// </summary>
    ReadOnlyMemory<byte> BodyToStore(ReceivedWebhook webhook) => webhook.Body;

    /// <summary>The 200 answer once the payload is stored. Salesforce needs its SOAP acknowledgement instead of JSON.</summary>
    IResult Accepted(Guid deliveryId) => WebhookResults.Accepted(deliveryId);

    /// <summary>The 401 answer, saying why (<paramref name="check"/> is one of the refusing outcomes).</summary>
    IResult Rejected(SignatureCheck check) => WebhookResults.Unauthorized(check);
}
