using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Which integrations <c>GET /api/v1/admin/integrations</c> and the console's integrations page list: the same
/// parameters, parsed in one place.
/// </summary>
public sealed record IntegrationListFilter
{
    public Guid? AccountId { get; init; }
    public Provider? Provider { get; init; }
    public bool? Enabled { get; init; }
    /// <summary>Part of the integration's, account's, product's or run-as user's name (or the product key, the user's email), or an id.</summary>
    public string? Text { get; init; }
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = Paging.DefaultPageSize;

    public static bool TryParse(
        string? accountId, string? provider, string? enabled, string? text, int? page, int? pageSize,
        out IntegrationListFilter filter, out string field, out string error)
    {
        filter = new IntegrationListFilter();
        if (!Paging.TryParse(page, pageSize, out var number, out var size, out field, out error))
        {
            return false;
        }
        Guid? account = null;
        if (!string.IsNullOrWhiteSpace(accountId))
        {
            if (!Guid.TryParse(accountId.Trim(), out var parsed))
            {
                (field, error) = ("accountId", "The accountId must be an account id.");
                return false;
            }
            account = parsed;
        }
        Provider? wantedProvider = null;
        if (!string.IsNullOrWhiteSpace(provider))
        {
            if (!ProviderNames.TryParse(provider, out var parsed))
            {
                (field, error) = ("provider", $"The provider must be one of {ProviderNames.Known}.");
                return false;
            }
            wantedProvider = parsed;
        }
        bool? wantedEnabled = null;
        if (!string.IsNullOrWhiteSpace(enabled))
        {
            if (!bool.TryParse(enabled.Trim(), out var parsed))
            {
                (field, error) = ("enabled", "enabled must be true or false.");
                return false;
            }
            wantedEnabled = parsed;
        }
        if (!Paging.TryReadSearch(text, Paging.MaxSearchLength, out var trimmed, out var searchError))
        {
            (field, error) = ("q", searchError);
            return false;
        }
        filter = new IntegrationListFilter { AccountId = account, Provider = wantedProvider, Enabled = wantedEnabled, Text = trimmed, Page = number, PageSize = size };
        return true;
    }
}

/// <summary>
/// One integration as the list shows it. <c>failuresLast24Hours</c> counts its deliveries received in the last 24 hours
/// that ended <c>failed</c> or <c>dead_lettered</c>; <c>accountStatus</c> other than active means its webhooks answer 410.
/// </summary>
public sealed record IntegrationListItem(
    Guid Id, string Name, Guid AccountId, string AccountName, string AccountStatus, Guid ProductId, string ProductName, string Provider, int Version,
    Guid RunAsUserId, string RunAsUserName, bool Enabled, DateTimeOffset? LastDeliveryAt, int FailuresLast24Hours);

public static class IntegrationList
{
    public static readonly TimeSpan FailureWindow = TimeSpan.FromHours(24);

    public static async Task<ListPage<IntegrationListItem>> ReadAsync(
        WebhooksDbContext db, IntegrationListFilter filter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var query =
            from i in db.Integrations.AsNoTracking()
            join a in db.Accounts on i.AccountId equals a.Id
            join p in db.Products on i.ProductId equals p.Id
            join u in db.Users on i.RunAsUserId equals u.Id
            select new { Integration = i, Account = a, Product = p, User = u };
        if (filter.AccountId is { } accountId)
        {
            query = query.Where(row => row.Integration.AccountId == accountId);
        }
        if (filter.Provider is { } provider)
        {
            query = query.Where(row => row.Integration.Provider == provider);
        }
        if (filter.Enabled is { } enabled)
        {
            query = query.Where(row => row.Integration.Enabled == enabled);
        }
        if (filter.Text is { } text)
        {
            var pattern = Paging.ContainsPattern(text);
            var id = Guid.TryParse(text, out var parsed) ? parsed : Guid.Empty;
            query = query.Where(row =>
                EF.Functions.ILike(row.Integration.Name, pattern, "\\")
                || EF.Functions.ILike(row.Account.Name, pattern, "\\")
                || EF.Functions.ILike(row.Product.Name, pattern, "\\")
                || EF.Functions.ILike(row.Product.Key, pattern, "\\")
                || EF.Functions.ILike(row.User.Name, pattern, "\\")
                || EF.Functions.ILike(row.User.Email, pattern, "\\")
                || row.Integration.Id == id || row.Account.Id == id);
        }

        var total = await query.CountAsync(cancellationToken);
        var since = now - FailureWindow;
        var rows = await query
            .OrderBy(row => row.Account.Name.ToLower()).ThenBy(row => row.Integration.Name.ToLower()).ThenBy(row => row.Integration.Id)
            .Skip((filter.Page - 1) * filter.PageSize).Take(filter.PageSize)
            .Select(row => new
            {
                row.Integration.Id, row.Integration.Name, row.Integration.AccountId, AccountName = row.Account.Name, AccountStatus = row.Account.Status,
                row.Integration.ProductId, ProductName = row.Product.Name, row.Integration.Provider, row.Integration.Version,
                row.Integration.RunAsUserId, RunAsUserName = row.User.Name, row.Integration.Enabled,
                // Both read ix_deliveries_integration_id_received_at; only the last 24 hours are counted.
                LastDeliveryAt = db.Deliveries.Where(d => d.IntegrationId == row.Integration.Id).Max(d => (DateTimeOffset?)d.ReceivedAt),
                Failures = db.Deliveries.Count(d => d.IntegrationId == row.Integration.Id && d.ReceivedAt >= since
                    && (d.Status == DeliveryStatus.Failed || d.Status == DeliveryStatus.DeadLettered)),
            })
            .ToListAsync(cancellationToken);
        return new ListPage<IntegrationListItem>(
            rows.Select(r => new IntegrationListItem(
                r.Id, r.Name, r.AccountId, r.AccountName, SnakeCaseEnumConverter<AccountStatus>.ToName(r.AccountStatus), r.ProductId, r.ProductName,
                r.Provider.ToWireName(), r.Version, r.RunAsUserId, r.RunAsUserName, r.Enabled, r.LastDeliveryAt, r.Failures)).ToList(),
            filter.Page, filter.PageSize, total);
    }
}
