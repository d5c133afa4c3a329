using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Applying;

/// <summary>
/// Which records a change reaches: every record in the integration's account linked to the external item through
/// any integration of the same provider and the same version, in a product the run-as user may write (owner or
/// contributor). A webhook is not limited to its own integration's links.
/// </summary>
public sealed class TargetResolver(WebhooksDbContext db)
{
    /// <summary>
    /// Returns the records locked (<c>FOR UPDATE</c>, in id order) for the rest of the delivery's transaction, so
    /// last-writer-wins compares against the latest committed values and concurrent deliveries queue up per record.
    /// </summary>
    public async Task<IReadOnlyList<Record>> ResolveAndLockAsync(Integration integration, string externalItemId, CancellationToken cancellationToken)
    {
        var runAs = integration.RunAsUserId;
        var ids = await (
            from link in db.Links
            join linking in db.Integrations on link.IntegrationId equals linking.Id
            join record in db.Records on link.RecordId equals record.Id
            join product in db.Products on record.ProductId equals product.Id
            where link.ExternalId == externalItemId
                && linking.AccountId == integration.AccountId
                && linking.Provider == integration.Provider
                && linking.Version == integration.Version
                && product.AccountId == integration.AccountId
                && !record.Deleted
                && db.Memberships.Any(m => m.ProductId == record.ProductId && m.UserId == runAs
                    && (m.Role == MembershipRole.Owner || m.Role == MembershipRole.Contributor))
            select record.Id).Distinct().ToListAsync(cancellationToken);

        if (ids.Count == 0)
        {
            return [];
        }

        return await db.Records
            .FromSql($"SELECT * FROM records WHERE id = ANY({ids.ToArray()}) ORDER BY id FOR UPDATE")
            .ToListAsync(cancellationToken);
    }
}
