using Microsoft.Extensions.Primitives;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Providers;

/// <summary>A receiver's answer to a handshake: what to send, how the delivery log names it, and how it is recorded.</summary>
/// <param name="Kind">The handshake's name in the delivery log, e.g. <c>x-hook-secret</c>.</param>
/// <param name="Reason">Why it was refused; null unless <see cref="Outcome"/> is <see cref="HandshakeOutcome.Refused"/>.</param>
public sealed record HandshakeAnswer(string Kind, IResult Result, HandshakeOutcome Outcome, string? Reason = null)
{
    /// <summary>The longest handshake value echoed or stored.</summary>
    public const int MaxValueLength = 1024;

    public const string SecretHeader = "X-Hook-Secret";
    public const string ChallengeHeader = "Smartsheet-Hook-Challenge";
    public const string SecretKind = "x-hook-secret";
    public const string ChallengeKind = "smartsheet-hook-challenge";

    public static HandshakeAnswer Answered(string kind, IResult result) => new(kind, result, HandshakeOutcome.Answered);

    /// <summary>Refused with a JSON reason (<c>{"error", "detail"}</c>); the detail is recorded with the delivery.</summary>
    public static HandshakeAnswer Refused(string kind, int statusCode, string error, string detail) =>
        new(kind, Results.Json(new ErrorResponse(error, detail), IngressJsonContext.Default.ErrorResponse, statusCode: statusCode),
            HandshakeOutcome.Refused, detail);

    /// <summary>
    /// The header handshakes of the ingress contract, answered for every live token whatever its sender (the design
    /// brief's table; a request carrying both gets both answers): an <c>X-Hook-Secret</c> is echoed in the same header, a
    /// <c>Smartsheet-Hook-Challenge</c> in <c>Smartsheet-Hook-Response</c> and the <c>smartsheetHookResponse</c> body
    /// field. Nothing is stored here: only Asana's receiver keeps the secret, under its own rules, before it echoes.
    /// Null when the request carries neither header; refused (400) when one is not a value that is safe to echo.
    /// </summary>
    public static HandshakeAnswer? Echo(IHeaderDictionary headers)
    {
        var hasSecret = Carries(headers, SecretHeader, out var secretValues);
        var hasChallenge = Carries(headers, ChallengeHeader, out var challengeValues);
        if (!hasSecret && !hasChallenge)
        {
            return null;
        }
        var secret = "";
        if (hasSecret && !TryReadValue(secretValues, out secret))
        {
            return Invalid(SecretKind, SecretHeader);
        }
        var challenge = "";
        if (hasChallenge && !TryReadValue(challengeValues, out challenge))
        {
            return Invalid(ChallengeKind, ChallengeHeader);
        }
        var answer = hasChallenge
            ? WebhookResults.WithHeader("Smartsheet-Hook-Response", challenge,
                Results.Json(new SmartsheetChallengeResponse(challenge), IngressJsonContext.Default.SmartsheetChallengeResponse))
            : WebhookResults.Acknowledged("ok");
        if (hasSecret)
        {
            answer = WebhookResults.WithHeader(SecretHeader, secret, answer);
        }
        var kind = hasSecret && hasChallenge ? $"{SecretKind}, {ChallengeKind}" : hasSecret ? SecretKind : ChallengeKind;
        return Answered(kind, answer);
    }

    /// <summary>The <c>X-Hook-Secret</c> a request hands over, when it is one <see cref="Echo"/> would answer.</summary>
    public static bool TryReadSecret(IHeaderDictionary headers, out string secret)
    {
        secret = "";
        return Carries(headers, SecretHeader, out var values) && TryReadValue(values, out secret);
    }

    private static bool Carries(IHeaderDictionary headers, string name, out StringValues values) =>
        headers.TryGetValue(name, out values) && !values.All(string.IsNullOrEmpty);

    private static HandshakeAnswer Invalid(string kind, string header) =>
        Refused(kind, StatusCodes.Status400BadRequest, "invalid_handshake",
            $"{header} must be sent once, as visible ASCII of at most {MaxValueLength} characters. Nothing was stored.");

    public static HandshakeAnswer Unavailable(string kind, int retryAfterSeconds) =>
        new(kind, WebhookResults.Unavailable(retryAfterSeconds), HandshakeOutcome.Unavailable);

    /// <summary>
    /// A handshake header's value, when it is safe to echo in a response header and to store: sent once, visible ASCII
    /// only (no spaces or control characters), at most <see cref="MaxValueLength"/> characters.
    /// </summary>
    public static bool TryReadValue(StringValues values, out string value)
    {
        value = values.Count == 1 ? values[0] ?? "" : "";
        return value.Length is > 0 and <= MaxValueLength && value.All(c => c is > ' ' and <= '~');
    }
}
