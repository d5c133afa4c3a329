using Webhooks.Ingress.Providers.Standard;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Providers;

/// <summary>The JSON answers every sender gets (Salesforce overrides the 200).</summary>
public static class WebhookResults
{
    public static IResult Accepted(Guid deliveryId) =>
        Results.Json(new AcceptedResponse("accepted", deliveryId), IngressJsonContext.Default.AcceptedResponse);

    public static IResult Acknowledged(string status) =>
        Results.Json(new StatusResponse(status), IngressJsonContext.Default.StatusResponse);

    public static IResult Gone() =>
        Results.Json(new ErrorResponse("gone", "This webhook URL is not active. Ask the integration's owner for a new one."),
            IngressJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status410Gone);

    public static IResult Unauthorized(SignatureCheck check = SignatureCheck.Mismatch) =>
        Results.Json(check == SignatureCheck.TimestampOutsideTolerance
                ? new ErrorResponse("timestamp_outside_tolerance", RejectionReason(check))
                : new ErrorResponse("invalid_signature", "The request's signature does not verify with this integration's secret."),
            IngressJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status401Unauthorized);

    /// <summary>Why a refused request was refused, as the delivery log records it.</summary>
    public static string RejectionReason(SignatureCheck check) => check switch
    {
        SignatureCheck.NotSigned => "The integration has a secret but the request was not signed.",
        SignatureCheck.TimestampOutsideTolerance =>
            $"The signed timestamp is more than {StandardSignature.Tolerance.TotalMinutes:0} minutes away from the receiver's clock: a delivery is taken only "
            + "within that window of being signed, so a captured one cannot be replayed. The sender signs again when it retries.",
        _ => "The signature did not verify.",
    };

    public static IResult TooLarge(long limit) =>
        Results.Json(new ErrorResponse("payload_too_large", $"The body exceeds the limit of {limit} bytes."),
            IngressJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult BodyNotReceived(int statusCode) =>
        Results.Json(new ErrorResponse("body_not_received", "The body did not arrive whole or in time. Nothing was stored; send it again."),
            IngressJsonContext.Default.ErrorResponse, statusCode: statusCode);

    /// <summary>The database refused the delivery's row itself; retrying the same request would meet the same refusal.</summary>
    public static IResult Unstorable() =>
        Results.Json(new ErrorResponse("unstorable", "The request could not be stored as sent. Nothing was accepted."),
            IngressJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>Another answer with one response header added (a handshake's echo).</summary>
    public static IResult WithHeader(string name, string value, IResult answer) => new WithHeaderResult(name, value, answer);

    private sealed class WithHeaderResult(string name, string value, IResult answer) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return answer.ExecuteAsync(httpContext);
        }
    }

    public static IResult Unavailable(int retryAfterSeconds) =>
        new RetryLaterResult(retryAfterSeconds, new ErrorResponse("unavailable", "The webhook could not be stored. Nothing was accepted; retry later."));

    /// <summary>The process holds as many body bytes as it may (Ingress:Limits:MaxBodyBytesInFlight).</summary>
    public static IResult Busy(int retryAfterSeconds) =>
        new RetryLaterResult(retryAfterSeconds, new ErrorResponse("busy", "Too many webhook bodies are arriving at once. Nothing was accepted; retry later."));

    private sealed class RetryLaterResult(int retryAfterSeconds, ErrorResponse error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(error, IngressJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(httpContext);
        }
    }
}
