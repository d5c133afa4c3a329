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

    public static HandshakeAnswer Answered(string kind, IResult result) => new(kind, result, HandshakeOutcome.Answered);

    /// <summary>Refused with a JSON reason (<c>{"error", "detail"}</c>); the detail is recorded with the delivery.</summary>
    public static HandshakeAnswer Refused(string kind, int statusCode, string error, string detail) =>
        new(kind, Results.Json(new ErrorResponse(error, detail), IngressJsonContext.Default.ErrorResponse, statusCode: statusCode),
            HandshakeOutcome.Refused, detail);

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
