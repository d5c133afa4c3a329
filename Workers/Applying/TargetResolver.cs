using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
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
    /// <summary>The stored names of the roles that may write a product's records (owner, contributor).</summary>
    private static readonly string[] WritingRoles = [.. Enum.GetValues<MembershipRole>().Where(r => r.CanWrite()).Select(SnakeCaseEnumConverter<MembershipRole>.ToName)];

    /// <summary>
    /// Resolves every (integration, external item) of a batch in one query and locks all their records in another
    /// (<c>FOR UPDATE</c>, in id order, so concurrent batches queue up per record and never deadlock) for the rest of
    /// the transaction: last-writer-wins then compares against the latest committed values.
    /// </summary>
    public async Task<IReadOnlyDictionary<TargetKey, IReadOnlyList<Record>>> ResolveAndLockAsync(
        IReadOnlyCollection<(Integration Integration, string ExternalItemId)> items, CancellationToken cancellationToken)
    {
        var found = new Dictionary<TargetKey, IReadOnlyList<Record>>();
        if (items.Count == 0)
        {
            return found;
        }

        // Driven by the external ids (one lookup each on the index that starts with them): given as two lists, ids and
        // accounts, PostgreSQL looked every id up once per integration of the accounts (integrations × ids).
        // Each row names the run-as users of these integrations who may write its product: one index lookup per row in
        // the same statement, a round trip and a query fewer per batch than reading the memberships after it.
        var externalIds = items.Select(i => i.ExternalItemId).Distinct().ToArray();
        var accountIds = items.Select(i => i.Integration.AccountId).Distinct().ToArray();
        var runAsIds = items.Select(i => i.Integration.RunAsUserId).Distinct().ToArray();
        var linked = await db.Database.SqlQuery<LinkedRecord>($"""
            SELECT l.external_id AS "ExternalId", i.account_id AS "AccountId", i.provider AS "ProviderName", i.version AS "Version",
                   r.id AS "RecordId", r.product_id AS "ProductId",
                   ARRAY(SELECT m.user_id FROM memberships m
                          WHERE m.product_id = r.product_id AND m.user_id = ANY({runAsIds}) AND m.role = ANY({WritingRoles})) AS "Writers"
              FROM unnest({externalIds}) AS k(external_id)
              JOIN links l ON l.external_id = k.external_id
              JOIN integrations i ON i.id = l.integration_id
              JOIN records r ON r.id = l.record_id
              JOIN products p ON p.id = r.product_id
             WHERE i.account_id = ANY({accountIds}) AND p.account_id = i.account_id AND NOT r.deleted
            """).ToListAsync(cancellationToken);
        if (linked.Count == 0)
        {
            return found;
        }

        var linkedByItem = linked.ToLookup(l => l.ExternalId);
        var recordIdsByItem = new Dictionary<TargetKey, List<Guid>>();
        foreach (var (integration, externalItemId) in items)
        {
            var provider = integration.Provider.ToWireName();
            var ids = linkedByItem[externalItemId]
                .Where(l => l.AccountId == integration.AccountId && l.ProviderName == provider && l.Version == integration.Version
                    && l.Writers.Contains(integration.RunAsUserId))
                .Select(l => l.RecordId)
                .Distinct()
                .ToList();
            if (ids.Count > 0)
            {
                recordIdsByItem[new TargetKey(integration.Id, externalItemId)] = ids;
            }
        }
        if (recordIdsByItem.Count == 0)
        {
            return found;
        }

        var allIds = recordIdsByItem.Values.SelectMany(ids => ids).Distinct().ToArray();
        var records = (await db.Records
                .FromSql($"SELECT * FROM records WHERE id = ANY({allIds}) ORDER BY id FOR UPDATE")
                .AsNoTracking()
                .ToListAsync(cancellationToken))
            .ToDictionary(r => r.Id);
        foreach (var (key, ids) in recordIdsByItem)
        {
            found[key] = [.. ids.Order().Select(id => records[id])];
        }
        return found;
    }
}

/// <summary>
/// A record linked to an external item, the integration the link belongs to, and which of the batch's run-as users may
/// write the record's product. The provider stays its stored wire name:
/// a raw <c>SqlQuery</c> type does not get the model's <see cref="Provider"/> converter (it reads the text as a number).
/// </summary>
internal sealed record LinkedRecord(string ExternalId, Guid AccountId, string ProviderName, int Version, Guid RecordId, Guid ProductId, Guid[] Writers);

/// <summary>An external item as one integration sees it.</summary>
public readonly record struct TargetKey(Guid IntegrationId, string ExternalItemId);
