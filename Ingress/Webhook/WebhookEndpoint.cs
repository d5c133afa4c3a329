using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress.Holding;
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
        var webhooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        webhooks.MapPost("/{token}", ReceiveAsync).WithName("ReceiveWebhook");
        // Trello checks the callback URL with HEAD before it creates a webhook.
        webhooks.MapMethods("/{token}", [HttpMethods.Head], CheckAsync).WithName("CheckWebhook");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string token, HttpContext context, WebhookServices services)
    {
        var started = Stopwatch.GetTimestamp();
        var (result, provider, outcome) = await ReceiveCoreAsync(token, context, services);
        services.Telemetry.Answered(provider, outcome, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static async Task<(IResult, Provider?, string)> ReceiveCoreAsync(string token, HttpContext context, WebhookServices services)
    {
        var options = services.Options.Value;
        var request = context.Request;

        // 1. Token: unknown, rotated away, disabled integration, disabled or suspended account → 410, nothing stored.
        if (!services.Directory.IsLoaded)
        {
            return (WebhookResults.Unavailable(options.RetryAfterSeconds), null, "unavailable");
        }
        var integration = WebhookToken.IsWellFormed(token) ? services.Directory.Find(token) : null;
        if (integration is not { IsLive: true })
        {
            return (WebhookResults.Gone(), integration?.Provider, "gone");
        }
        using var scope = services.Logger.BeginScope(new Dictionary<string, object> { ["IntegrationId"] = integration.Id, ["Provider"] = integration.Provider.ToWireName() });
        var receiver = services.Receivers[integration.Provider];
        var callbackUrl = WebhookToken.CallbackUrl(options.PublicBaseUrl, token);

        // 2. Handshakes any sender may send at any time (Smartsheet repeats its challenge every 100 callbacks).
        var hookSecret = request.Headers["X-Hook-Secret"].ToString();
        var challenge = request.Headers["Smartsheet-Hook-Challenge"].ToString();
        if (hookSecret.Length > 0 || challenge.Length > 0)
        {
            return (await HandshakeAsync(context, integration, hookSecret, challenge, services), integration.Provider, "handshake");
        }

        // 3. Size, before reading what a sender claims it will send.
        var (body, unreadable) = await ReadBodyAsync(request, options.MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return unreadable is { } status
                ? (WebhookResults.BodyNotReceived(status), integration.Provider, "body_not_received")
                : (WebhookResults.TooLarge(options.MaxBodyBytes), integration.Provider, "too_large");
        }

        var webhook = new ReceivedWebhook(body, request.Headers, callbackUrl);
        if (receiver.IsHandshake(webhook))
        {
            await TryRecordAsync(services, Row(integration, webhook, receiver, services, DeliveryStatus.Handshake, signatureVerified: false));
            return (WebhookResults.Acknowledged("ok"), integration.Provider, "handshake");
        }

        // 4. Signature over the raw bytes: a configured secret with a missing or wrong signature is refused and recorded.
        var signature = receiver.CheckSignature(webhook, integration.SigningSecret, integration.Settings);
        if (signature is SignatureCheck.Mismatch or SignatureCheck.NotSigned)
        {
            Log.Rejected(services.Logger, signature.ToString());
            await TryRecordAsync(services, Row(integration, webhook, receiver, services, DeliveryStatus.Rejected, signatureVerified: false,
                error: signature == SignatureCheck.NotSigned ? "The integration has a secret but the request was not signed." : "The signature did not verify."));
            return (receiver.Rejected(), integration.Provider, "rejected");
        }

        // 5. Durable accept: 200 only once the raw payload is committed.
        var row = Row(integration, webhook, receiver, services, DeliveryStatus.Accepted, signature == SignatureCheck.Valid);
        try
        {
            await services.Writer.WriteAsync(row, CancellationToken.None);
        }
        catch (Exception e)
        {
            // 5b. PostgreSQL cannot take it: the whole payload goes to RabbitMQ's holding queue (confirmed) instead.
            //     A sender that never retries (GitHub) or retries three times (Trello) would lose it to a 503.
            Log.NotStored(services.Logger, e.GetType().Name);
            if (!await context.RequestServices.GetRequiredService<HoldingQueue>().TryHoldAsync(row, integration.AccountId))
            {
                return (WebhookResults.Unavailable(options.RetryAfterSeconds), integration.Provider, "unavailable");
            }
            return (receiver.Accepted(row.Id), integration.Provider, "held");
        }
        Log.Accepted(services.Logger, row.Id);
        return (receiver.Accepted(row.Id), integration.Provider, "accepted");
    }

    private static async Task<IResult> CheckAsync(string token, WebhookServices services)
    {
        if (!services.Directory.IsLoaded)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        var integration = WebhookToken.IsWellFormed(token) ? services.Directory.Find(token) : null;
        if (integration is not { IsLive: true })
        {
            return Results.StatusCode(StatusCodes.Status410Gone);
        }
        await TryRecordAsync(services, new DeliveryRow(Guid.CreateVersion7(), integration.Id, integration.Provider, services.Time.GetUtcNow(),
            """{"method":"HEAD"}""", null, [], null, false, DeliveryStatus.Handshake));
        return Results.Ok();
    }

    private static async Task<IResult> HandshakeAsync(HttpContext context, LiveIntegration integration, string hookSecret, string challenge, WebhookServices services)
    {
        const int MaxHandshakeValue = 1024;
        if (hookSecret.Length > MaxHandshakeValue || challenge.Length > MaxHandshakeValue)
        {
            return Results.Json(new ErrorResponse("invalid_handshake", "The handshake value is too long."), IngressJsonContext.Default.ErrorResponse,
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (hookSecret.Length > 0)
        {
            // Asana sends its signing secret only in this handshake: it must be stored before we answer,
            // or every later delivery would be unverifiable. A failure makes Asana retry the whole creation.
            if (integration.Provider == Provider.Asana && !await services.Secrets.TryStoreAsync(integration.Id, hookSecret, context.RequestAborted))
            {
                return WebhookResults.Unavailable(services.Options.Value.RetryAfterSeconds);
            }
            context.Response.Headers["X-Hook-Secret"] = hookSecret;
        }

        var kinds = string.Join(',', new[] { hookSecret.Length > 0 ? "x-hook-secret" : null, challenge.Length > 0 ? "smartsheet-hook-challenge" : null }.OfType<string>());
        await TryRecordAsync(services, new DeliveryRow(Guid.CreateVersion7(), integration.Id, integration.Provider, services.Time.GetUtcNow(),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["handshake"] = kinds }), context.Request.ContentType, [], null, false, DeliveryStatus.Handshake));
        Log.Handshake(services.Logger, kinds);

        if (challenge.Length > 0)
        {
            context.Response.Headers["Smartsheet-Hook-Response"] = challenge;
            return Results.Json(new SmartsheetChallengeResponse(challenge), IngressJsonContext.Default.SmartsheetChallengeResponse);
        }
        return WebhookResults.Acknowledged("ok");
    }

    /// <summary>
    /// The body; or no body and no status when it is over the limit (a sender's Content-Length is checked before reading
    /// anything); or no body and the status Kestrel gave up with (a body too slow or cut short, a sender that left).
    /// </summary>
    private static async Task<(byte[]? Body, int? Unreadable)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return (null, null);
        }
        // Kestrel then cuts off a chunked or lying sender at the limit instead of buffering on.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        try
        {
            if (request.ContentLength is { } length)
            {
                var exact = new byte[length];
                await request.Body.ReadExactlyAsync(exact, cancellationToken);
                return (exact, null);
            }
            using var collected = new MemoryStream();
            var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
                {
                    if (collected.Length + read > limit)
                    {
                        return (null, null);
                    }
                    collected.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            return (collected.ToArray(), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, null);
        }
        catch (BadHttpRequestException e)
        {
            // Too slow (MinRequestBodyDataRate), or cut short: nothing was stored, the sender retries.
            return (null, e.StatusCode);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return (null, StatusCodes.Status400BadRequest);
        }
    }

    private static DeliveryRow Row(LiveIntegration integration, ReceivedWebhook webhook, IProviderReceiver receiver, WebhookServices services,
        DeliveryStatus status, bool signatureVerified, string? error = null) =>
        new(Guid.CreateVersion7(),
            integration.Id,
            integration.Provider,
            services.Time.GetUtcNow(),
            KeptHeaders(webhook.Headers, receiver.KeptHeaders),
            webhook.Headers.ContentType.ToString() is { Length: > 0 } contentType ? contentType : null,
            webhook.Body.ToArray(),
            status == DeliveryStatus.Accepted ? Truncate(receiver.FindSourceDeliveryId(webhook), 200) : null,
            signatureVerified,
            status,
            error);

    /// <summary>Event names and delivery ids only; never a signature or a secret.</summary>
    private static string KeptHeaders(IHeaderDictionary headers, IReadOnlyList<string> kept)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var name in kept.Prepend("User-Agent"))
            {
                if (headers.TryGetValue(name, out var value) && value.Count > 0)
                {
                    json.WriteString(name, Truncate(value.ToString(), 500));
                }
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string? Truncate(string? value, int length) => value is { Length: > 0 } && value.Length > length ? value[..length] : value;

    /// <summary>Handshakes and rejections are logged as deliveries, but their answer does not depend on the log.</summary>
    private static async Task TryRecordAsync(WebhookServices services, DeliveryRow row)
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
    }
}
