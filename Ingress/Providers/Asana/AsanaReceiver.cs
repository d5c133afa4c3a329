using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Asana;

/// <summary>
/// Asana: each webhook's creation sends a handshake, <c>X-Hook-Secret: &lt;secret&gt;</c>, that must be echoed; the
/// secret is sent only then and keys <c>X-Hook-Signature: &lt;hex HMAC-SHA256&gt;</c> of every later event.
/// Heartbeats are <c>{"events":[]}</c>: answered, never queued.
/// </summary>
public sealed class AsanaReceiver : IProviderReceiver
{
    public Provider Provider => Provider.Asana;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    /// <summary>
    /// The secret is stored before the echo (Asana never sends it again), and only while the integration takes
    /// handshakes (<see cref="SigningSecretStore"/>): otherwise anyone who knows the callback URL could make Asana's own
    /// signatures fail and sign events of their own. A refused handshake gets no echo, so no webhook is confirmed.
    /// </summary>
    public async ValueTask<HandshakeAnswer?> AnswerHandshakeAsync(HandshakeRequest request, CancellationToken cancellationToken)
    {
        var echo = HandshakeAnswer.Echo(request.Headers);
        if (echo is not { Outcome: HandshakeOutcome.Answered } || !HandshakeAnswer.TryReadSecret(request.Headers, out var secret))
        {
            return echo;
        }
        return await request.Secrets.AddFromHandshakeAsync(request.Integration.Id, secret, cancellationToken) switch
        {
            HandshakeSecretOutcome.Stored or HandshakeSecretOutcome.AlreadyKept => echo,
            HandshakeSecretOutcome.WindowClosed => HandshakeAnswer.Refused(HandshakeAnswer.SecretKind, StatusCodes.Status409Conflict, "handshake_window_closed",
                "This integration already has a signing secret. Another Asana webhook's secret is taken only while a handshake window is open: "
                + "an administrator opens one for 15 minutes with POST /api/v1/admin/integrations/{id}/handshake-window. Nothing was stored."),
            HandshakeSecretOutcome.LimitReached => HandshakeAnswer.Refused(HandshakeAnswer.SecretKind, StatusCodes.Status409Conflict, "too_many_secrets",
                $"This integration already keeps {IntegrationSigningSecret.MaxPerIntegration} signing secrets, one per webhook. An administrator must "
                + "remove one (DELETE /api/v1/admin/integrations/{id}/secrets/{fingerprint}) first. Nothing was stored."),
            _ => HandshakeAnswer.Unavailable(HandshakeAnswer.SecretKind, request.RetryAfterSeconds),
        };
    }

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
        // A member name that is an escaped lone surrogate parses, and throws only when TryGetProperty decodes it.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("X-Hook-Signature"), prefix: null, secret, webhook.Body.Span);

    // Asana sends no delivery id.
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => null;
}
