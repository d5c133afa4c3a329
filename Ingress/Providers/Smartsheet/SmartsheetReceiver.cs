using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Smartsheet;

/// <summary>
/// Smartsheet: <c>Smartsheet-Hmac-SHA256: &lt;hex&gt;</c> (its own sample drops leading zeros, so shorter hex is
/// padded). Its verification challenge comes when a webhook is enabled and again every 100 callbacks, so it is answered
/// at any time; the challenge carries no secret.
/// </summary>
public sealed class SmartsheetReceiver : IProviderReceiver
{
    private const string HandshakeKind = "smartsheet-hook-challenge";

    public Provider Provider => Provider.Smartsheet;

    public IReadOnlyList<string> KeptHeaders { get; } = [];

    /// <summary>The challenge goes back in the <c>Smartsheet-Hook-Response</c> header and the <c>smartsheetHookResponse</c> body field.</summary>
    public ValueTask<HandshakeAnswer?> AnswerHandshakeAsync(HandshakeRequest request, CancellationToken cancellationToken)
    {
        if (!request.Headers.TryGetValue("Smartsheet-Hook-Challenge", out var values) || values.All(string.IsNullOrEmpty))
        {
            return ValueTask.FromResult<HandshakeAnswer?>(null);
        }
        if (!HandshakeAnswer.TryReadValue(values, out var challenge))
        {
            return ValueTask.FromResult<HandshakeAnswer?>(HandshakeAnswer.Refused(HandshakeKind, StatusCodes.Status400BadRequest, "invalid_handshake",
                $"Smartsheet-Hook-Challenge must be sent once, as visible ASCII of at most {HandshakeAnswer.MaxValueLength} characters."));
        }
        var answer = Results.Json(new SmartsheetChallengeResponse(challenge), IngressJsonContext.Default.SmartsheetChallengeResponse);
        return ValueTask.FromResult<HandshakeAnswer?>(
            HandshakeAnswer.Answered(HandshakeKind, WebhookResults.WithHeader("Smartsheet-Hook-Response", challenge, answer)));
    }

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings) =>
        Hmac.CheckHexSha256(webhook.Signature("Smartsheet-Hmac-SHA256"), prefix: null, secret, webhook.Body.Span);

    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => JsonBody.Find(webhook.Body, "nonce");
}
