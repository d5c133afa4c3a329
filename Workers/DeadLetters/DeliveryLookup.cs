using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.DeadLetters;

/// <summary>What the database knows about a dead-lettered message's delivery and integration: never bodies, tokens or secrets.</summary>
public sealed record DeliveryFacts(
    Guid Id, Guid IntegrationId, string Status, int Attempts, string? Error, int Applied, int Duplicates, int NoTarget,
    DateTimeOffset ReceivedAt, DateTimeOffset? PublishedAt, DateTimeOffset? ProcessedAt,
    string? IntegrationName, string? IntegrationProvider, bool? IntegrationEnabled, string? AccountStatus);

public static class DeliveryLookup
{
    public static WebhooksDbContext Open(string connectionString) =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString).Options);

    public static async Task<Dictionary<Guid, DeliveryFacts>> FindAsync(string connectionString, IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        if (deliveryIds.Count == 0)
        {
            return [];
        }
        await using var db = Open(connectionString);
        try
        {
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
                    delivery.Duplicates, delivery.NoTarget, delivery.ReceivedAt, delivery.PublishedAt, delivery.ProcessedAt,
                    IntegrationName = integration == null ? null : integration.Name,
                    IntegrationProvider = integration == null ? (Contracts.Provider?)null : integration.Provider,
                    IntegrationEnabled = integration == null ? (bool?)null : integration.Enabled,
                    AccountStatus = account == null ? (AccountStatus?)null : account.Status,
                }).ToListAsync(cancellationToken);
            return rows.ToDictionary(r => r.Id, r => new DeliveryFacts(
                r.Id, r.IntegrationId, SnakeCaseEnumConverter<DeliveryStatus>.ToName(r.Status), r.Attempts, r.LastError,
                r.Applied, r.Duplicates, r.NoTarget, r.ReceivedAt, r.PublishedAt, r.ProcessedAt,
                r.IntegrationName, r.IntegrationProvider is { } p ? Contracts.ProviderNames.ToWireName(p) : null, r.IntegrationEnabled,
                r.AccountStatus is { } s ? SnakeCaseEnumConverter<AccountStatus>.ToName(s) : null));
        }
        catch (NpgsqlException e)
        {
            throw DatabaseUnreachable(connectionString, e);
        }
        catch (InvalidOperationException e) when (e.InnerException is NpgsqlException inner)
        {
            throw DatabaseUnreachable(connectionString, inner);
        }
    }

    public static CommandFailedException DatabaseUnreachable(string connectionString, Exception e)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new CommandFailedException(
            $"PostgreSQL is not reachable at {builder.Host}:{builder.Port}, database '{builder.Database}', user '{builder.Username}': {e.Message}. " +
            "Check ConnectionStrings__Webhooks (or --ConnectionStrings:Webhooks=…); deploy/services/env.sh has the local one.", e);
    }
}
