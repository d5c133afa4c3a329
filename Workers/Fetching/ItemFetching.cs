using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// The pipeline step between parse and apply: replaces each <see cref="ChangedInSender"/> that names an item with what
/// the sender's API says about it, when the integration's settings hold <c>apiBaseUrl</c> and <c>apiToken</c>.
/// Without them the skinny change stays and is recorded in the history only; <see cref="FetchedChanges.Note"/> says why.
/// Only items some record of the account links to are fetched (the others reach no target anyway), and those whose
/// item only the fetch can tell.
/// </summary>
public sealed class ItemFetching(WebhooksDbContext db, ProviderApi api, IEnumerable<IItemFetcher> fetchers)
{
    public const string NoCredentials = "No API credentials (apiBaseUrl, apiToken): recorded in history only.";

    private readonly Dictionary<Provider, IItemFetcher> _fetchers = fetchers.ToDictionary(f => f.Provider);

    public async Task<FetchedChanges> CompleteAsync(Integration integration, IReadOnlyList<NormalizedChange> changes, CancellationToken cancellationToken)
    {
        var skinny = changes.OfType<ChangedInSender>().Where(c => c.Fetch is not null).ToList();
        if (skinny.Count == 0)
        {
            return new FetchedChanges(changes, null);
        }
        var linked = await LinkedAsync(integration, skinny.Select(c => c.ExternalItemId).Distinct().ToList(), cancellationToken);
        if (linked.Count == 0 && !skinny.Any(c => c.Fetch!.ItemUnknown))
        {
            return new FetchedChanges(changes, null);
        }

        var provider = integration.Provider.ToWireName();
        if (!TryReadCredentials(integration, out var settings, out var baseUrl, out var token, out var why)
            || !_fetchers.TryGetValue(integration.Provider, out var fetcher))
        {
            return new FetchedChanges(changes, why ?? NoCredentials);
        }

        var session = api.OpenSession(provider, baseUrl, token);
        var result = new List<NormalizedChange>(changes.Count);
        var gone = 0;
        foreach (var change in changes)
        {
            if (change is not ChangedInSender { Fetch: not null } item || !(item.Fetch.ItemUnknown || linked.Contains(item.ExternalItemId)))
            {
                result.Add(change);
                continue;
            }
            var fetched = await fetcher.FetchAsync(item, session, settings, cancellationToken);
            if (fetched is null)
            {
                gone++;
                result.Add(item with { Description = $"{item.Description}; no longer in {provider} (404)", Fetch = null });
                continue;
            }
            result.AddRange(fetched);
        }
        return new FetchedChanges(result, gone == 0 ? null : $"{gone} item(s) no longer exist in {provider} (404): recorded in history only.");
    }

    private async Task<HashSet<string>> LinkedAsync(Integration integration, List<string> externalIds, CancellationToken cancellationToken)
    {
        var linked = await (
            from link in db.Links
            join linking in db.Integrations on link.IntegrationId equals linking.Id
            where externalIds.Contains(link.ExternalId)
                && linking.AccountId == integration.AccountId
                && linking.Provider == integration.Provider
            select link.ExternalId).Distinct().ToListAsync(cancellationToken);
        return linked.ToHashSet(StringComparer.Ordinal);
    }

    private static bool TryReadCredentials(Integration integration, out IntegrationSettings settings, out Uri baseUrl, out string token, out string? why)
    {
        baseUrl = null!;
        token = "";
        why = null;
        try
        {
            settings = IntegrationSettings.Parse(integration.Settings);
        }
        catch (JsonException)
        {
            settings = new IntegrationSettings();
            why = "The integration's settings are not valid JSON, so there are no API credentials: recorded in history only.";
            return false;
        }
        if (string.IsNullOrWhiteSpace(settings.ApiBaseUrl) || string.IsNullOrWhiteSpace(settings.ApiToken))
        {
            return false;
        }
        if (!Uri.TryCreate(settings.ApiBaseUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
        {
            why = "apiBaseUrl is not an absolute http(s) URL: recorded in history only.";
            return false;
        }
        baseUrl = parsed;
        token = settings.ApiToken;
        return true;
    }
}

/// <summary>The changes to apply, and why some were recorded in the history only (null when nothing was left out).</summary>
public sealed record FetchedChanges(IReadOnlyList<NormalizedChange> Changes, string? Note);
