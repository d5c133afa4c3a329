using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Fetching;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using Webhooks.Workers.Applying;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Providers;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// The fetch step, before a delivery's transaction: for each <see cref="ChangedInSender"/> that names an item, reads
/// what the sender's API says about it, when the integration's settings hold <c>apiBaseUrl</c> (an allowed one:
/// <see cref="ApiBaseUrlPolicy"/>) and <c>apiToken</c> (decrypted here). The transaction then swaps the answers in
/// (<see cref="FetchedItems.Complete"/>) without calling anything, so no row lock is ever held while a sender's API is
/// slow. Without credentials the skinny change stays and is recorded in the history only, and the outcome says why.
/// Only items some record of the account links to are fetched (the others reach no target anyway), and those whose
/// item only the fetch can tell.
/// </summary>
public sealed class ItemFetching(
    WebhooksDbContext db, PayloadParsers parsers, ProviderApi api, IEnumerable<IItemFetcher> fetchers, SecretProtector secrets, ApiBaseUrlPolicy baseUrls)
{
    public const string NoCredentials = "No API credentials (apiBaseUrl, apiToken): recorded in history only.";

    private readonly Dictionary<Provider, IItemFetcher> _fetchers = fetchers.ToDictionary(f => f.Provider);

    /// <summary>
    /// Reads the deliveries and their integrations (plain reads: no transaction, no lock), parses them and starts the API
    /// calls their events need, with one session per integration so an item several of them name is read once. One task
    /// per delivery that needs a fetch, ending when that delivery's own items are read: a delivery never waits for
    /// another one's slow API. A task throws <see cref="ItemFetchException"/> only for a transient failure; a permanent
    /// one is its <see cref="FetchedItems.Failure"/>. The tasks use no DbContext, so they may outlive this scope.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, Task<FetchedItems>>> StartAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        var started = new Dictionary<Guid, Task<FetchedItems>>();
        var ids = deliveryIds.Distinct().ToArray();
        var providers = _fetchers.Keys.ToArray();
        var deliveries = await db.Deliveries.AsNoTracking()
            .Where(d => ids.Contains(d.Id) && providers.Contains(d.Provider) && DeliveryProcessor.Waiting.Contains(d.Status))
            .Select(d => new { d.Id, d.IntegrationId, d.Provider, d.Body, d.Headers })
            .ToListAsync(cancellationToken);
        if (deliveries.Count == 0)
        {
            return started;
        }
        var integrationIds = deliveries.Select(d => d.IntegrationId).Distinct().ToArray();
        var integrations = await (
            from integration in db.Integrations.AsNoTracking()
                .Where(i => integrationIds.Contains(i.Id) && i.Enabled).Select(IntegrationColumns.WithoutSecrets)
            join account in db.Accounts on integration.AccountId equals account.Id
            where account.Status == AccountStatus.Active
            select integration).ToDictionaryAsync(i => i.Id, cancellationToken);

        var wanted = new List<(Guid DeliveryId, Integration Integration, List<ChangedInSender> Skinny)>();
        foreach (var delivery in deliveries)
        {
            if (integrations.TryGetValue(delivery.IntegrationId, out var integration)
                && Skinny(parsers.Parse(delivery.Provider, delivery.Body, DeliveryProcessor.ReadHeaders(delivery.Headers))) is { Count: > 0 } skinny)
            {
                wanted.Add((delivery.Id, integration, skinny));
            }
        }
        var linked = await LinkedAsync(wanted.SelectMany(w => w.Skinny.Select(c => (w.Integration, c.ExternalItemId))), cancellationToken);

        var access = new Dictionary<Guid, Access>();
        foreach (var (deliveryId, integration, skinny) in wanted)
        {
            var toFetch = skinny.Where(c => c.Fetch!.ItemUnknown || linked.Contains((integration.AccountId, integration.Provider, c.ExternalItemId))).ToList();
            if (toFetch.Count == 0)
            {
                continue;
            }
            if (!access.TryGetValue(integration.Id, out var granted))
            {
                granted = Open(integration);
                access[integration.Id] = granted;
            }
            started[deliveryId] = granted.Session is { } session
                ? FetchAsync(integration.Provider, _fetchers[integration.Provider], session, granted.Settings, toFetch, cancellationToken)
                : Task.FromResult(new FetchedItems(integration.Provider, new Dictionary<ChangedInSender, FetchedItem>(), granted.Why, granted.Refused));
        }
        return started;
    }

    /// <summary>
    /// Every delivery's items, awaited: for a caller without a fetch step of its own. Throws the first transient failure.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, FetchedItems>> FetchAllAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        var fetched = new Dictionary<Guid, FetchedItems>();
        foreach (var (deliveryId, fetching) in await StartAsync(deliveryIds, cancellationToken))
        {
            fetched[deliveryId] = await fetching;
        }
        return fetched;
    }

    /// <summary>The changes that name an item to fetch; none when the payload is not parsed (its transaction records why).</summary>
    private static List<ChangedInSender> Skinny(ParseResult parsed) =>
        parsed.Outcome == ParseOutcome.Parsed ? [.. parsed.Changes.OfType<ChangedInSender>().Where(c => c.Fetch is not null).Distinct()] : [];

    private static async Task<FetchedItems> FetchAsync(
        Provider provider, IItemFetcher fetcher, ProviderApiSession session, IntegrationSettings settings, List<ChangedInSender> changes,
        CancellationToken cancellationToken)
    {
        var items = new Dictionary<ChangedInSender, FetchedItem>();
        var reads = changes.Select(async change =>
        {
            try
            {
                return (change, await fetcher.FetchAsync(change, session, settings, cancellationToken), (ItemFetchException?)null);
            }
            catch (ItemFetchException e)
            {
                return (change, (FetchedItem?)null, e);
            }
        });
        ItemFetchException? permanent = null;
        foreach (var (change, item, failure) in await Task.WhenAll(reads))
        {
            if (failure is { Permanent: false })
            {
                ExceptionDispatchInfo.Throw(failure);
            }
            permanent ??= failure;
            if (item is not null)
            {
                items[change] = item;
            }
        }
        return new FetchedItems(provider, items, Note: null, permanent?.Message);
    }

    /// <summary>The items (by account and provider) some record links to, in one query per account and provider.</summary>
    private async Task<HashSet<(Guid, Provider, string)>> LinkedAsync(IEnumerable<(Integration Integration, string ExternalId)> items, CancellationToken cancellationToken)
    {
        var linked = new HashSet<(Guid, Provider, string)>();
        foreach (var group in items.GroupBy(i => (i.Integration.AccountId, i.Integration.Provider)))
        {
            var (accountId, provider) = group.Key;
            var externalIds = group.Select(i => i.ExternalId).Distinct().ToList();
            var found = await (
                from link in db.Links
                join linking in db.Integrations on link.IntegrationId equals linking.Id
                where externalIds.Contains(link.ExternalId) && linking.AccountId == accountId && linking.Provider == provider
                select link.ExternalId).Distinct().ToListAsync(cancellationToken);
            linked.UnionWith(found.Select(id => (accountId, provider, id)));
        }
        return linked;
    }

    /// <summary>The integration's API, or why it is not called: no credentials (a note) or refused ones (a failure).</summary>
    private Access Open(Integration integration)
    {
        IntegrationSettings settings;
        try
        {
            settings = IntegrationSettings.Parse(integration.Settings);
        }
        catch (JsonException)
        {
            return new Access(new IntegrationSettings(), null,
                "The integration's settings are not valid JSON, so there are no API credentials: recorded in history only.", null);
        }
        if (string.IsNullOrWhiteSpace(settings.ApiBaseUrl) || string.IsNullOrWhiteSpace(settings.ApiToken))
        {
            return new Access(settings, null, NoCredentials, null);
        }
        if (baseUrls.Check(integration.Provider, settings.ApiBaseUrl, out var refused) is not { } baseUrl)
        {
            return new Access(settings, null, null, $"{refused} This worker calls no other URL: nothing was fetched.");
        }
        if (!secrets.TryUnprotect(settings.ApiToken, out var token) || string.IsNullOrEmpty(token))
        {
            return new Access(settings, null, null,
                "settings.apiToken cannot be decrypted with this worker's key ring (DataProtection:KeysPath must be the ingress's): "
                + "nothing was fetched; set the apiToken again through the admin API once the key ring is shared.");
        }
        return new Access(settings, api.OpenSession(integration.Provider.ToWireName(), integration.Id, baseUrl, token), null, null);
    }

    private sealed record Access(IntegrationSettings Settings, ProviderApiSession? Session, string? Why, string? Refused);
}

/// <summary>
/// What the fetch step read for one delivery before its transaction, by the skinny change it answers;
/// <see cref="Note"/> says why nothing was fetched (no credentials), <see cref="Failure"/> why the delivery fails.
/// </summary>
public sealed record FetchedItems(Provider Provider, IReadOnlyDictionary<ChangedInSender, FetchedItem> Items, string? Note, string? Failure)
{
    /// <summary>Nothing to fetch: the changes stay as parsed.</summary>
    public static FetchedItems None { get; } = new(default, new Dictionary<ChangedInSender, FetchedItem>(), null, null);

    /// <summary>The delivery's changes with each fetched skinny change replaced by what its item showed; calls nothing.</summary>
    public FetchedChanges Complete(IReadOnlyList<NormalizedChange> changes)
    {
        if (Failure is not null)
        {
            return new FetchedChanges([], null, DeliveryOutcome.Failed(Failure));
        }
        var provider = Provider.ToWireName();
        var result = new List<NormalizedChange>(changes.Count);
        var gone = 0;
        var skipped = new List<string>();
        foreach (var change in changes)
        {
            if (change is not ChangedInSender { Fetch: not null } skinny || !Items.TryGetValue(skinny, out var item))
            {
                result.Add(change);
            }
            else if (item.Gone)
            {
                gone++;
                result.Add(skinny with { Description = $"{skinny.Description}; no longer in {provider} (404)", Fetch = null });
            }
            else if (item.Skipped is { } reason)
            {
                skipped.Add(reason);
            }
            else
            {
                result.AddRange(item.Changes);
            }
        }
        if (result.Count == 0 && skipped.Count > 0)
        {
            return new FetchedChanges([], null, DeliveryOutcome.Ignored(string.Join(" ", skipped.Distinct())));
        }
        var notes = new List<string>();
        if (Note is not null)
        {
            notes.Add(Note);
        }
        if (gone > 0)
        {
            notes.Add($"{gone} item(s) no longer exist in {provider} (404): recorded in history only.");
        }
        notes.AddRange(skipped.Distinct());
        return new FetchedChanges(result, notes.Count == 0 ? null : string.Join(" ", notes), null);
    }
}

/// <summary>
/// The changes to apply, and why some were recorded in the history only (null when nothing was left out); or, when the
/// fetch settles the delivery (a failure, or nothing left to apply), its <see cref="Outcome"/>.
/// </summary>
public sealed record FetchedChanges(IReadOnlyList<NormalizedChange> Changes, string? Note, DeliveryOutcome? Outcome);
