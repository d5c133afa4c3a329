using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers.Salesforce;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Operations.Replay;

namespace Webhooks.Ingress.Admin;

/// <summary>An integration's delivery log, one delivery's detail, and replay through the outbox.</summary>
public static partial class DeliveriesApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static RouteGroupBuilder MapDeliveriesApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/deliveries", ListAllDeliveriesAsync).WithTags("Deliveries").WithName("ListAllDeliveries")
            .WithSummary("Deliveries across integrations, newest first, keyset-paged: pass the answer's 'next' as 'before' for the page after; " +
                "filter by status (repeatable or comma-separated), provider, integrationId, since/until (received), q (part of the sender's delivery id, or a delivery id)");
        admin.MapGet("/integrations/{id:guid}/deliveries", ListDeliveriesAsync).WithTags("Deliveries").WithName("ListDeliveries")
            .WithSummary($"An integration's deliveries, newest first; filter by status, limit {DefaultLimit} by default, at most {MaxLimit}");
        admin.MapGet("/deliveries/{id:guid}", GetDeliveryAsync).WithTags("Deliveries").WithName("GetDelivery")
            .WithSummary("One delivery with its headers and raw body");
        admin.MapPost("/deliveries/{id:guid}/replay", ReplayDeliveryAsync).WithTags("Deliveries").WithName("ReplayDelivery")
            .WithSummary("Send a delivery through the outbox again; handshakes and rejected deliveries answer 409");
        return admin;
    }

    public static async Task<Results<Ok<List<DeliverySummary>>, ValidationProblem, ProblemHttpResult>> ListDeliveriesAsync(
        Guid id, string? status, int? limit, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        DeliveryStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!SnakeCaseEnumConverter<DeliveryStatus>.TryParse(status, out var parsed))
            {
                return AdminResults.Invalid("status", $"The status must be one of {string.Join(", ", Enum.GetValues<DeliveryStatus>().Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName))}.");
            }
            filter = parsed;
        }
        if (limit is < 1)
        {
            return AdminResults.Invalid("limit", $"The limit must be between 1 and {MaxLimit}.");
        }
        if (!await db.Integrations.AnyAsync(i => i.Id == id, cancellationToken))
        {
            return AdminResults.NotFound("integration", id);
        }

        var query = db.Deliveries.AsNoTracking().Where(d => d.IntegrationId == id);
        if (filter is { } wanted)
        {
            query = query.WhereShown(db, [wanted]);
        }
        // Projected so the bodies are never read for a list.
        var rows = await query
            .OrderByDescending(d => d.ReceivedAt).ThenByDescending(d => d.Id)
            .Take(Math.Min(limit ?? DefaultLimit, MaxLimit))
            .Select(d => new
            {
                d.Id, d.IntegrationId, d.Provider, d.ReceivedAt, d.Status, d.LastError, d.Attempts, d.SourceDeliveryId, d.SignatureVerified,
                d.Applied, d.Duplicates, d.NoTarget,
            })
            .ToListAsync(cancellationToken);
        var inOutbox = await ShownDeliveryStatus.InOutboxAsync(db, rows.Select(d => (d.Id, d.Status)), cancellationToken);
        return TypedResults.Ok(rows.Select(d => new DeliverySummary(
            d.Id, d.IntegrationId, d.Provider.ToWireName(), d.ReceivedAt,
            SnakeCaseEnumConverter<DeliveryStatus>.ToName(ShownDeliveryStatus.Of(d.Status, inOutbox.Contains(d.Id))), d.LastError,
            d.Attempts, d.SourceDeliveryId, d.SignatureVerified, new DeliveryOutcome(d.Applied, d.Duplicates, d.NoTarget))).ToList());
    }

    public static async Task<Results<Ok<DeliveryLogPage>, ValidationProblem>> ListAllDeliveriesAsync(
        string[]? status, string? provider, string? integrationId, string? since, string? until, string? q, string? before, int? limit,
        WebhooksDbContext db, CancellationToken cancellationToken)
    {
        if (!DeliveryLogFilter.TryParse(status, provider, integrationId, since, until, q, before, limit, out var filter, out var field, out var error))
        {
            return AdminResults.Invalid(field, error);
        }
        return TypedResults.Ok(await DeliveryLog.ReadAsync(db, filter, cancellationToken));
    }

    public static async Task<Results<Ok<DeliveryDetail>, ProblemHttpResult>> GetDeliveryAsync(Guid id, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        var delivery = await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (delivery is null)
        {
            return AdminResults.NotFound("delivery", id);
        }

        // The ingress redacts a Salesforce message's live session id and the webhook token in an echoed callback URL before
        // storing a body; rows stored before it did are redacted here, so the delivery log never shows either.
        var stored = delivery.Provider == Provider.Salesforce ? SalesforceSessionId.Redact(delivery.Body).ToArray() : delivery.Body;
        string body;
        var encoding = "utf-8";
        try
        {
            body = BodyToken.RedactCallbackUrls(StrictUtf8.GetString(stored));
        }
        catch (DecoderFallbackException)
        {
            body = Convert.ToBase64String(stored);
            encoding = "base64";
        }
        JsonElement headers;
        try
        {
            headers = JsonDocument.Parse(string.IsNullOrWhiteSpace(delivery.Headers) ? "{}" : delivery.Headers).RootElement.Clone();
        }
        catch (JsonException)
        {
            headers = JsonSerializer.SerializeToElement(new Dictionary<string, string>());
        }

        var shown = await ShownDeliveryStatus.OfAsync(db, delivery.Id, delivery.Status, cancellationToken);
        return TypedResults.Ok(new DeliveryDetail(
            delivery.Id, delivery.IntegrationId, delivery.Provider.ToWireName(), delivery.ReceivedAt,
            SnakeCaseEnumConverter<DeliveryStatus>.ToName(shown), delivery.LastError, delivery.Attempts,
            new DeliveryOutcome(delivery.Applied, delivery.Duplicates, delivery.NoTarget),
            headers, delivery.ContentType, delivery.SourceDeliveryId, delivery.SignatureVerified,
            delivery.ProcessedAt, delivery.PublishedAt, stored.Length, body, encoding, encoding == "base64", delivery.ReplayId));
    }

    /// <summary>
    /// Puts the delivery back in the outbox under a replay id of its own (<see cref="StoredDeliveryReplay"/>, the code
    /// every replay uses), which wakes the relay of every replica; the worker's applied-change ledger makes re-applying
    /// harmless. The last error is cleared: it described the previous attempt, and the replay's log line keeps the
    /// status it came from, as the API showed it.
    /// </summary>
    public static async Task<Results<Accepted<ReplayResponse>, ProblemHttpResult>> ReplayDeliveryAsync(
        Guid id, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var current = await db.Deliveries.AsNoTracking().Where(d => d.Id == id).Select(d => new { d.Status, d.Provider }).FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return AdminResults.NotFound("delivery", id);
        }
        if (!StoredDeliveryFilter.IsReplayable(current.Status))
        {
            return AdminResults.Conflict($"A {SnakeCaseEnumConverter<DeliveryStatus>.ToName(current.Status)} delivery was never meant to be processed and cannot be replayed.");
        }

        // The status the operator saw: a stored accepted delivery the relay has sent shows (and is logged) as queued.
        var shown = await ShownDeliveryStatus.OfAsync(db, id, current.Status, cancellationToken);
        var replayId = Guid.CreateVersion7();
        if ((await new StoredDeliveryReplay(db).PutBackAsync([id], replayId, cancellationToken)).Count == 0)
        {
            return AdminResults.NotFound("delivery", id);
        }
        Log.Replayed(loggers.CreateLogger(typeof(DeliveriesApi).FullName!), id, current.Provider.ToWireName(), SnakeCaseEnumConverter<DeliveryStatus>.ToName(shown));
        return TypedResults.Accepted($"{AdminApi.Prefix}/deliveries/{id}",
            new ReplayResponse(id, SnakeCaseEnumConverter<DeliveryStatus>.ToName(DeliveryStatus.Accepted), replayId));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Delivery {DeliveryId} ({Provider}) replayed from status {PreviousStatus}")]
        public static partial void Replayed(ILogger logger, Guid deliveryId, string provider, string previousStatus);
    }
}

public sealed record DeliveryOutcome(int Applied, int Duplicates, int NoTarget);

public sealed record DeliverySummary(
    Guid Id, Guid IntegrationId, string Provider, DateTimeOffset ReceivedAt, string Status, string? Error, int Attempts,
    string? SourceDeliveryId, bool SignatureVerified, DeliveryOutcome Outcome);

/// <summary>
/// A delivery in full. <c>body</c> is the raw body as UTF-8 text, or base64 when it is not valid UTF-8 (<c>bodyEncoding</c>,
/// <c>bodyIsBase64</c>); <c>replayId</c> names its last replay (GET /deliveries/replays/{replayId}), null if never replayed.
/// </summary>
public sealed record DeliveryDetail(
    Guid Id, Guid IntegrationId, string Provider, DateTimeOffset ReceivedAt, string Status, string? Error, int Attempts, DeliveryOutcome Outcome,
    JsonElement Headers, string? ContentType, string? SourceDeliveryId, bool SignatureVerified, DateTimeOffset? ProcessedAt,
    DateTimeOffset? PublishedAt, int BodySize, string Body, string BodyEncoding, bool BodyIsBase64, Guid? ReplayId);

/// <summary>A replayed delivery, back in the outbox; <c>replayId</c> names the replay (GET /deliveries/replays/{replayId}).</summary>
public sealed record ReplayResponse(Guid Id, string Status, Guid ReplayId);
