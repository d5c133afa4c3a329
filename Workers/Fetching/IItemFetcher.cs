using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Fetching;

/// <summary>
/// The fetch seam, for senders whose events carry ids only (Asana, Smartsheet): reads the item a
/// <see cref="ChangedInSender"/> names from the sender's REST API and returns the concrete changes to apply instead.
/// Adding a provider = one implementation and one line in <see cref="Providers.ProvidersExtensions.AddPayloadParsers"/>.
/// </summary>
public interface IItemFetcher
{
    Provider Provider { get; }

    /// <summary>
    /// The changes the fetched item shows, keyed on the skinny change's <see cref="NormalizedChange.SourceEventId"/>
    /// (suffixed when one event yields several); null when the item no longer exists (404).
    /// Throws <see cref="ItemFetchException"/> when the API still fails after its retries (transient).
    /// </summary>
    Task<IReadOnlyList<NormalizedChange>?> FetchAsync(ChangedInSender change, ProviderApiSession api, IntegrationSettings settings, CancellationToken cancellationToken);
}
