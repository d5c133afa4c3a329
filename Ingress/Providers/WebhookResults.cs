using Webhooks.Ingress.Providers.Standard;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Providers;

/// <summary>The JSON answers every sender gets (Salesforce overrides the 200).</summary>
public static class WebhookResults
{
    /// <summary>
    /// <c>{"status":"accepted","deliveryId":"…"}</c>, the answer to nearly every request: written as bytes with its length
    /// rather than through the serializer, whose per-answer setup (writer, pooled buffers, an awaited flush) was ~4 % of
    /// the ingress's CPU per webhook in a profile under load (docs/benchmarks.md).
    /// </summary>
    public static IResult Accepted(Guid deliveryId) => new AcceptedResult(deliveryId);

    private sealed class AcceptedResult(Guid deliveryId) : IResult
    {
        private static ReadOnlySpan<byte> Start => "{\"status\":\"accepted\",\"deliveryId\":\""u8;

        private static ReadOnlySpan<byte> End => "\"}"u8;

        private const int GuidLength = 36;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var length = Start.Length + GuidLength + End.Length;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = length;
            // Written into the response's buffer; Kestrel sends it with the headers when the request ends.
            var answer = response.BodyWriter.GetSpan(length);
            Start.CopyTo(answer);
            deliveryId.TryFormat(answer[Start.Length..], out _, "D");
            End.CopyTo(answer[(Start.Length + GuidLength)..]);
            response.BodyWriter.Advance(length);
            return Task.CompletedTask;
        }
    }

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
