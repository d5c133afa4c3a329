using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress.Holding;
using Webhooks.Ingress.Limits;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Telemetry;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// <c>POST /api/v1/webhooks/{token}</c>, in the order of the ingress contract: token → handshake → size →
/// signature → store → 200. Everything else (parsing, mapping, applying) happens in the workers.
/// </summary>
public static partial class WebhookEndpoint
{
    public static WebApplication MapWebhookEndpoint(this WebApplication app)
    {
        // The rate limit is the endpoint's own: any spelling of the path that routing sends here (a trailing slash, another
        // case) is limited like the canonical one.
        var webhooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireRateLimiting(RequestLimits.WebhookRateLimit);
        webhooks.MapPost("/{token}", ReceiveAsync).WithName("ReceiveWebhook");
        // Trello checks the callback URL with HEAD before it creates a webhook.
        webhooks.MapMethods("/{token}", [HttpMethods.Head], CheckAsync).WithName("CheckWebhook");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string token, HttpContext context, WebhookEndpointDependencies services)
    {
        var started = services.Time.GetTimestamp();
        var (result, provider, outcome) = await ReceiveCoreAsync(token, context, services, started);
        services.Telemetry.Answered(provider, outcome, services.Time.GetElapsedTime(started));
        return result;
    }

    private static async Task<(IResult, Provider?, string)> ReceiveCoreAsync(string token, HttpContext context, WebhookEndpointDependencies services, long started)
    {
        var options = services.Options.Value;
        var request = context.Request;

        // 1. Token: unknown, rotated away, disabled integration, disabled or suspended account → 410, nothing stored.
        if (!services.IntegrationsByToken.IsLoaded)
        {
            return (WebhookResults.Unavailable(options.RetryAfterSeconds), null, "unavailable");
        }
        var integration = services.IntegrationsByToken.FindFor(context, token);
        if (integration is not { IsLive: true })
        {
            return (WebhookResults.Gone(), integration?.Provider, "gone");
        }
        using var scope = services.Logger.BeginScope(integration.LogScope);
        var receiver = services.Receivers[integration.Provider];
        var callbackUrl = CallbackUrlAsReceived(options.PublicBaseUrl, context);

        // 2. Handshakes in the headers (X-Hook-Secret, Smartsheet-Hook-Challenge), answered for every live token before any
        //    body is read; Asana's receiver keeps the secret first: recorded, never queued.
        var handshakeRequest = new HandshakeRequest(integration, request.Headers, services.Secrets, options.RetryAfterSeconds);
        if (await receiver.AnswerHandshakeAsync(handshakeRequest, context.RequestAborted) is { } handshake)
        {
            await RecordHandshakeAsync(services, integration, request, handshake);
            return (handshake.Result, integration.Provider, handshake.Outcome switch
            {
                HandshakeOutcome.Answered => "handshake",
                HandshakeOutcome.Refused => "handshake_refused",
                _ => "unavailable",
            });
        }

        // 3. Size and time: the body is read as it arrives, within the process's in-flight budget and the request deadline.
        var remaining = services.Limits.Value.RequestDeadline - services.Time.GetElapsedTime(started);
        using var body = await WebhookBody.ReadAsync(request, options.MaxBodyBytes, services.Bodies,
            remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), services.Time, context.RequestAborted);
        switch (body.Outcome)
        {
            case BodyOutcome.TooLarge:
                return (WebhookResults.TooLarge(options.MaxBodyBytes), integration.Provider, "too_large");
            case BodyOutcome.OverBudget:
                // The rest of the body is not read: close rather than drain it.
                context.Response.Headers.Connection = "close";
                return (WebhookResults.Busy(options.RetryAfterSeconds), integration.Provider, "busy");
            case BodyOutcome.PastDeadline:
                context.Response.Headers.Connection = "close";
                return (WebhookResults.BodyNotReceived(StatusCodes.Status408RequestTimeout), integration.Provider, "body_not_received");
            case BodyOutcome.NotReceived:
                return (WebhookResults.BodyNotReceived(body.NotReceivedStatus), integration.Provider, "body_not_received");
        }

        var webhook = new ReceivedWebhook(body.Bytes!, request.Headers, callbackUrl);

        // 4. Signature over the raw bytes: a configured secret with a missing or wrong signature is refused and recorded.
        //    Secrets that have all expired (a rotation's predecessors, left alone) refuse like an unreadable one: an
        //    integration that had a secret never falls back to taking unsigned requests.
        var secrets = integration.SecretsInForceAt(services.Time.GetUtcNow());
        var signature = secrets.Count == 0 && integration.SigningSecrets.Count > 0
            ? SignatureCheck.Mismatch
            : receiver.CheckSignatureWithAny(webhook, secrets, integration.Settings);
        if (signature is SignatureCheck.Mismatch or SignatureCheck.NotSigned or SignatureCheck.TimestampOutsideTolerance)
        {
            Log.Rejected(services.Logger, signature.ToString());
            await TryRecordAsync(services, Cut(Row(integration, token, webhook, receiver, services, DeliveryStatus.Rejected, signatureVerified: false,
                error: WebhookResults.RejectionReason(signature)), services.Limits.Value.MaxRejectedBodyBytes));
            return (receiver.Rejected(signature), integration.Provider, "rejected");
        }

        // 5. Handshakes in the body (GitHub's ping, Asana's heartbeat): answered and recorded, never queued. After the
        //    signature, as their senders sign them: with a secret set, a stranger holding the token cannot have one stored.
        if (receiver.IsHandshake(webhook))
        {
            await TryRecordAsync(services, Row(integration, token, webhook, receiver, services, DeliveryStatus.Handshake, signature == SignatureCheck.Valid));
            return (WebhookResults.Acknowledged("ok"), integration.Provider, "handshake");
        }

        // 6. Durable accept: 200 only once the raw payload is committed.
        var row = Row(integration, token, webhook, receiver, services, DeliveryStatus.Accepted, signature == SignatureCheck.Valid);
        try
        {
            await services.Writer.WriteAsync(row, CancellationToken.None);
        }
        catch (UnstorableDeliveryException e)
        {
            // The database refuses this row itself: holding it would only meet the same refusal later, so no 200.
            Log.Unstorable(services.Logger, row.Id, e.InnerException?.GetType().Name ?? e.GetType().Name);
            return (WebhookResults.Unstorable(), integration.Provider, "unstorable");
        }
        catch (Exception e)
        {
            // 6b. PostgreSQL cannot take it: the whole payload goes to RabbitMQ's holding queue (confirmed) instead.
            //     A sender that never retries (GitHub) or retries three times (Trello) would lose it to a 503.
            Log.NotStored(services.Logger, e.GetType().Name);
            if (!await services.HoldingQueue.TryHoldAsync(row, integration.AccountId))
            {
                return (WebhookResults.Unavailable(options.RetryAfterSeconds), integration.Provider, "unavailable");
            }
            return (receiver.Accepted(row.Id), integration.Provider, "held");
        }
        Log.Accepted(services.Logger, row.Id);
        return (receiver.Accepted(row.Id), integration.Provider, "accepted");
    }

    private static async Task<IResult> CheckAsync(string token, WebhookEndpointDependencies services)
    {
        if (!services.IntegrationsByToken.IsLoaded)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        var integration = services.IntegrationsByToken.Find(token);
        if (integration is not { IsLive: true })
        {
            return Results.StatusCode(StatusCodes.Status410Gone);
        }
        await TryRecordAsync(services, new DeliveryRow(Guid.CreateVersion7(), integration.Id, integration.Provider, services.Time.GetUtcNow(),
            """{"method":"HEAD"}""", null, [], null, false, DeliveryStatus.Handshake));
        return Results.Ok();
    }

    /// <summary>
    /// The URL the sender signs (Trello: body + callback URL exactly as registered): the public base URL and the request's
    /// path and query exactly as they arrived, not decoded and encoded again. A proxy may change scheme and host, so
    /// those come from <c>Ingress:PublicBaseUrl</c>; the target is what the sender was given.
    /// </summary>
    private static string CallbackUrlAsReceived(string publicBaseUrl, HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not { Length: > 0 } || target[0] != '/')
        {
            // No origin-form target (a server that does not keep it, or an absolute-form request): the closest form.
            target = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        }
        return publicBaseUrl.TrimEnd('/') + target;
    }

    /// <summary>An answered handshake is logged as <c>handshake</c>, a refused one as <c>rejected</c> with its reason; neither is queued.</summary>
    private static async Task RecordHandshakeAsync(WebhookEndpointDependencies services, LiveIntegration integration, HttpRequest request, HandshakeAnswer handshake)
    {
        if (handshake.Outcome == HandshakeOutcome.Unavailable)
        {
            return;
        }
        var refused = handshake.Outcome == HandshakeOutcome.Refused;
        if (refused)
        {
            Log.HandshakeRefused(services.Logger, handshake.Kind, handshake.Reason ?? "");
        }
        else
        {
            Log.Handshake(services.Logger, handshake.Kind);
        }
        await TryRecordAsync(services, new DeliveryRow(Guid.CreateVersion7(), integration.Id, integration.Provider, services.Time.GetUtcNow(),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["handshake"] = handshake.Kind }), request.ContentType, [], null, false,
            refused ? DeliveryStatus.Rejected : DeliveryStatus.Handshake, handshake.Reason));
    }

    private static DeliveryRow Row(LiveIntegration integration, string token, ReceivedWebhook webhook, IProviderReceiver receiver, WebhookEndpointDependencies services,
        DeliveryStatus status, bool signatureVerified, string? error = null) =>
        new(Guid.CreateVersion7(),
            integration.Id,
            integration.Provider,
            services.Time.GetUtcNow(),
            KeptHeaders(webhook.Headers, receiver.KeptHeaders),
            webhook.Headers.ContentType.ToString() is { Length: > 0 } contentType ? contentType : null,
            StoredBody(BodyToken.Redact(receiver.BodyToStore(webhook), token)),
            status == DeliveryStatus.Accepted ? receiver.FindSourceDeliveryId(webhook) : null,
            signatureVerified,
            status,
            error);

    /// <summary>
    /// A refused request's row keeps at most <paramref name="limit"/> bytes of its body, and says so when it keeps fewer.
    /// The cut falls between characters (UTF-8), so a text body is still shown as text.
    /// </summary>
    private static DeliveryRow Cut(DeliveryRow row, int limit)
    {
        if (row.Body.Length <= limit)
        {
            return row;
        }
        var kept = limit;
        for (var back = 0; back < 3 && kept > 0 && (row.Body[kept] & 0xC0) == 0x80; back++)
        {
            kept--;
        }
        return row with
        {
            Body = row.Body[..kept],
            LastError = $"{row.LastError} Only the first {kept} of the body's {row.Body.Length} bytes are kept (Ingress:Limits:MaxRejectedBodyBytes).",
        };
    }

    private const int MaxKeptHeaderLength = 500;

    // Reused by each thread (KeptHeaders runs to completion without awaiting): a new stream and JSON writer per stored
    // request were most of its cost.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_keptHeadersBuffer;
    [ThreadStatic] private static Utf8JsonWriter? t_keptHeadersWriter;

    /// <summary>Event names and delivery ids only; never a signature or a secret.</summary>
    private static string KeptHeaders(IHeaderDictionary headers, IReadOnlyList<string> kept)
    {
        var buffer = t_keptHeadersBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var json = t_keptHeadersWriter ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartObject();
        WriteKeptHeader(json, headers, "User-Agent");
        foreach (var name in kept)
        {
            WriteKeptHeader(json, headers, name);
        }
        json.WriteEndObject();
        json.Flush();
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteKeptHeader(Utf8JsonWriter json, IHeaderDictionary headers, string name)
    {
        if (headers.TryGetValue(name, out var value) && value.Count > 0)
        {
            json.WriteString(name, StoredText.Identifier(value.ToString(), MaxKeptHeaderLength));
        }
    }

    /// <summary>The array the body was read into when the receiver keeps it whole, so a 5 MiB body is not copied again.</summary>
    private static byte[] StoredBody(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    /// <summary>Handshakes and rejections are logged as deliveries, but their answer does not depend on the log.</summary>
    private static async Task TryRecordAsync(WebhookEndpointDependencies services, DeliveryRow row)
    {
        try
        {
            await services.Writer.WriteAsync(row, CancellationToken.None);
        }
        catch (Exception e)
        {
            Log.NotRecorded(services.Logger, row.Status.ToString(), e.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Debug, "Accepted delivery {DeliveryId}")]
        public static partial void Accepted(ILogger logger, Guid deliveryId);

        [LoggerMessage(1302, LogLevel.Warning, "Rejected a webhook: {Check}")]
        public static partial void Rejected(ILogger logger, string check);

        [LoggerMessage(1303, LogLevel.Information, "Answered a handshake ({Kinds})")]
        public static partial void Handshake(ILogger logger, string kinds);

        [LoggerMessage(1304, LogLevel.Error, "Could not store a webhook in PostgreSQL ({ExceptionType}); trying the holding queue")]
        public static partial void NotStored(ILogger logger, string exceptionType);

        [LoggerMessage(1305, LogLevel.Warning, "Could not record a {Status} delivery in the log ({ExceptionType})")]
        public static partial void NotRecorded(ILogger logger, string status, string exceptionType);

        [LoggerMessage(1306, LogLevel.Warning, "Refused a handshake ({Kind}): {Reason}")]
        public static partial void HandshakeRefused(ILogger logger, string kind, string reason);

        [LoggerMessage(1307, LogLevel.Error, "PostgreSQL refused the row of delivery {DeliveryId} itself ({ExceptionType}); answered that it was not accepted")]
        public static partial void Unstorable(ILogger logger, Guid deliveryId, string exceptionType);
    }
}
