using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Which deliveries the log shows: the same filter for <c>GET /api/v1/admin/deliveries</c> and the console's delivery log,
/// parsed from the same query parameters, so a script and the page list the same rows.
/// </summary>
public sealed record DeliveryLogFilter
{
    public IReadOnlyList<DeliveryStatus> Statuses { get; init; } = [];
    public Provider? Provider { get; init; }
    public Guid? IntegrationId { get; init; }
    /// <summary>Received at or after.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Received before.</summary>
    public DateTimeOffset? Until { get; init; }
    /// <summary>Part of the sender's delivery id (case-insensitive), or a delivery id.</summary>
    public string? Text { get; init; }
    /// <summary>Keyset cursor: only deliveries older than this position (the previous page's <c>next</c>).</summary>
    public DeliveryLogCursor? Before { get; init; }
    public int Limit { get; init; } = DeliveriesApi.DefaultLimit;

    public const int MaxTextLength = Delivery.MaxSourceDeliveryIdLength;
    public static readonly string LimitError = $"The limit must be between 1 and {DeliveriesApi.MaxLimit}.";

    /// <summary>Reads the query parameters; the first one that is wrong is named in <paramref name="field"/> with why.</summary>
    public static bool TryParse(
        IEnumerable<string?>? status, string? provider, string? integrationId, string? since, string? until, string? text, string? before, int? limit,
        out DeliveryLogFilter filter, out string field, out string error)
    {
        filter = new DeliveryLogFilter();
        field = "";
        error = "";
        var statuses = new List<DeliveryStatus>();
        foreach (var value in (status ?? []).SelectMany(s => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!SnakeCaseEnumConverter<DeliveryStatus>.TryParse(value, out var parsed))
            {
                (field, error) = ("status", $"The status must be one of {string.Join(", ", Enum.GetValues<DeliveryStatus>().Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName))}.");
                return false;
            }
            if (!statuses.Contains(parsed))
            {
                statuses.Add(parsed);
            }
        }
        Provider? wantedProvider = null;
        if (!string.IsNullOrWhiteSpace(provider))
        {
            if (!ProviderNames.TryParse(provider.Trim(), out var parsed))
            {
                (field, error) = ("provider", $"The provider must be one of {ProviderNames.Known}.");
                return false;
            }
            wantedProvider = parsed;
        }
        Guid? integration = null;
        if (!string.IsNullOrWhiteSpace(integrationId))
        {
            if (!Guid.TryParse(integrationId.Trim(), out var parsed))
            {
                (field, error) = ("integrationId", "The integrationId must be an integration id.");
                return false;
            }
            integration = parsed;
        }
        if (!TryParseTime(since, out var from))
        {
            (field, error) = ("since", "since must be a date and time (ISO 8601; UTC unless an offset is given).");
            return false;
        }
        if (!TryParseTime(until, out var to))
        {
            (field, error) = ("until", "until must be a date and time (ISO 8601; UTC unless an offset is given).");
            return false;
        }
        // No sender's delivery id is longer than MaxTextLength.
        if (!Paging.TryReadSearch(text, MaxTextLength, out var trimmed, out var searchError))
        {
            (field, error) = ("q", searchError);
            return false;
        }
        DeliveryLogCursor? cursor = null;
        if (!string.IsNullOrEmpty(before))
        {
            if (!DeliveryLogCursor.TryParse(before, out var parsed))
            {
                (field, error) = ("before", "before must be the 'next' value of a previous page.");
                return false;
            }
            cursor = parsed;
        }
        if (limit is < 1 or > DeliveriesApi.MaxLimit)
        {
            (field, error) = ("limit", LimitError);
            return false;
        }
        filter = new DeliveryLogFilter
        {
            Statuses = statuses, Provider = wantedProvider, IntegrationId = integration, Since = from, Until = to, Text = trimmed, Before = cursor,
            Limit = limit ?? DeliveriesApi.DefaultLimit,
        };
        return true;
    }

    /// <summary>A time as the log's since/until take it (ISO 8601; UTC unless an offset is given); empty is no time.</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset? at)
    {
        at = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            at = parsed;
            return true;
        }
        return false;
    }
}

/// <summary>
/// A position in the log, newest first: (received at, id). Opaque to callers; it is the microseconds PostgreSQL keeps and
/// the id, so the next page starts exactly after the last row shown, however many rows arrive meanwhile.
/// </summary>
public sealed record DeliveryLogCursor(DateTimeOffset ReceivedAt, Guid Id)
{
    public override string ToString()
    {
        var micros = (ReceivedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{micros.ToString(CultureInfo.InvariantCulture)}.{Id:N}"));
    }

    public static bool TryParse(string text, out DeliveryLogCursor cursor)
    {
        cursor = null!;
        if (text.Length > 100)
        {
            return false;
        }
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }
        var parts = Encoding.ASCII.GetString(bytes).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10
            || !Guid.TryParseExact(parts[1], "N", out var id))
        {
            return false;
        }
        cursor = new DeliveryLogCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
        return true;
    }
}

/// <summary>One row of the log (never the body).</summary>
public sealed record DeliveryLogEntry(
    Guid Id, Guid IntegrationId, string? IntegrationName, string Provider, DateTimeOffset ReceivedAt, string Status, string? Error, int Attempts,
    string? SourceDeliveryId, bool SignatureVerified, DeliveryOutcome Outcome, DateTimeOffset? ProcessedAt);

/// <summary>A page of the log; <c>next</c> is the <c>before</c> of the following page, null on the last one.</summary>
public sealed record DeliveryLogPage(IReadOnlyList<DeliveryLogEntry> Items, string? Next);

/// <summary>The delivery log across integrations, newest first, keyset-paged on (received_at, id).</summary>
public static class DeliveryLog
{
    public static async Task<DeliveryLogPage> ReadAsync(WebhooksDbContext db, DeliveryLogFilter filter, CancellationToken cancellationToken)
    {
        var query = db.Deliveries.AsNoTracking();
        if (filter.Statuses.Count > 0)
        {
            query = query.WhereShown(db, filter.Statuses);
        }
        if (filter.Provider is { } provider)
        {
            query = query.Where(d => d.Provider == provider);
        }
        if (filter.IntegrationId is { } integrationId)
        {
            query = query.Where(d => d.IntegrationId == integrationId);
        }
        if (filter.Since is { } since)
        {
            query = query.Where(d => d.ReceivedAt >= since);
        }
        if (filter.Until is { } until)
        {
            query = query.Where(d => d.ReceivedAt < until);
        }
        if (filter.Text is { } text)
        {
            var pattern = Paging.ContainsPattern(text);
            query = Guid.TryParse(text, out var deliveryId)
                ? query.Where(d => d.Id == deliveryId || EF.Functions.ILike(d.SourceDeliveryId!, pattern, "\\"))
                : query.Where(d => EF.Functions.ILike(d.SourceDeliveryId!, pattern, "\\"));
        }
        if (filter.Before is { } before)
        {
            // A row-value comparison, so PostgreSQL walks ix_deliveries_received_at_id from the cursor on.
            query = query.Where(d => EF.Functions.LessThan(ValueTuple.Create(d.ReceivedAt, d.Id), ValueTuple.Create(before.ReceivedAt, before.Id)));
        }

        // One row more than asked tells whether there is a next page. Projected: the bodies are never read for a list.
        var rows = await query
            .OrderByDescending(d => d.ReceivedAt).ThenByDescending(d => d.Id)
            .Take(filter.Limit + 1)
            .Select(d => new
            {
                d.Id, d.IntegrationId, d.Provider, d.ReceivedAt, d.Status, d.LastError, d.Attempts, d.SourceDeliveryId, d.SignatureVerified,
                d.Applied, d.Duplicates, d.NoTarget, d.ProcessedAt,
                IntegrationName = db.Integrations.Where(i => i.Id == d.IntegrationId).Select(i => i.Name).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var shown = rows.Take(filter.Limit).ToList();
        var inOutbox = await ShownDeliveryStatus.InOutboxAsync(db, shown.Select(d => (d.Id, d.Status)), cancellationToken);
        var next = rows.Count > filter.Limit ? new DeliveryLogCursor(shown[^1].ReceivedAt, shown[^1].Id).ToString() : null;
        return new DeliveryLogPage(
            shown.Select(d => new DeliveryLogEntry(
                d.Id, d.IntegrationId, d.IntegrationName, d.Provider.ToWireName(), d.ReceivedAt,
                SnakeCaseEnumConverter<DeliveryStatus>.ToName(ShownDeliveryStatus.Of(d.Status, inOutbox.Contains(d.Id))),
                d.LastError, d.Attempts, d.SourceDeliveryId, d.SignatureVerified, new DeliveryOutcome(d.Applied, d.Duplicates, d.NoTarget), d.ProcessedAt)).ToList(),
            next);
    }
}
