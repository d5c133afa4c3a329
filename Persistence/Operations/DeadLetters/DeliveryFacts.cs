using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>What the database knows about a dead letter's delivery and integration: never bodies, tokens or secrets.</summary>
public sealed record DeliveryFacts(
    Guid Id, Guid IntegrationId, string Status, int Attempts, string? Error, int Applied, int Duplicates, int NoTarget,
    DateTimeOffset ReceivedAt, DateTimeOffset? PublishedAt, DateTimeOffset? ProcessedAt, Guid? ReplayId,
    string? IntegrationName, string? IntegrationProvider, bool? IntegrationEnabled, string? AccountStatus)
{
    public static async Task<Dictionary<Guid, DeliveryFacts>> FindAsync(WebhooksDbContext db, IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        if (deliveryIds.Count == 0)
        {
            return [];
        }
        var rows = await (
            from delivery in db.Deliveries.AsNoTracking()
            where deliveryIds.Contains(delivery.Id)
            join integration in db.Integrations on delivery.IntegrationId equals integration.Id into integrations
            from integration in integrations.DefaultIfEmpty()
            join account in db.Accounts on integration.AccountId equals account.Id into accounts
            from account in accounts.DefaultIfEmpty()
            select new
            {
                delivery.Id, delivery.IntegrationId, delivery.Status, delivery.Attempts, delivery.LastError, delivery.Applied,
                delivery.Duplicates, delivery.NoTarget, delivery.ReceivedAt, delivery.PublishedAt, delivery.ProcessedAt, delivery.ReplayId,
                IntegrationName = integration == null ? null : integration.Name,
                IntegrationProvider = integration == null ? (Provider?)null : integration.Provider,
                IntegrationEnabled = integration == null ? (bool?)null : integration.Enabled,
                AccountStatus = account == null ? (AccountStatus?)null : account.Status,
            }).ToListAsync(cancellationToken);
        var inOutbox = await ShownDeliveryStatus.InOutboxAsync(db, rows.Select(r => (r.Id, r.Status)), cancellationToken);
        return rows.ToDictionary(r => r.Id, r => new DeliveryFacts(
            r.Id, r.IntegrationId, SnakeCaseEnumConverter<DeliveryStatus>.ToName(ShownDeliveryStatus.Of(r.Status, inOutbox.Contains(r.Id))), r.Attempts, r.LastError,
            r.Applied, r.Duplicates, r.NoTarget, r.ReceivedAt, r.PublishedAt, r.ProcessedAt, r.ReplayId,
            r.IntegrationName, r.IntegrationProvider is { } p ? p.ToWireName() : null, r.IntegrationEnabled,
            r.AccountStatus is { } s ? SnakeCaseEnumConverter<AccountStatus>.ToName(s) : null));
    }
}
