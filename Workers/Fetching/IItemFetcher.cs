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
    /// What the fetched item shows. Throws <see cref="ItemFetchException"/> when the API fails (permanently, or still
    /// transiently after its retries) or answers something that is not the item.
    /// </summary>
    Task<FetchedItem> FetchAsync(ChangedInSender change, ProviderApiSession api, IntegrationSettings settings, CancellationToken cancellationToken);
}

/// <summary>What a fetcher made of one <see cref="ChangedInSender"/>.</summary>
public sealed record FetchedItem
{
    /// <summary>
    /// The changes to apply instead of the skinny one, keyed on its <see cref="NormalizedChange.SourceEventId"/> (suffixed
    /// when one event yields several) unless the item has an identity of its own that every event naming it shares.
    /// </summary>
    public IReadOnlyList<NormalizedChange> Changes { get; private init; } = [];

    /// <summary>The item no longer exists in the sender (404): the skinny change is recorded in the history only.</summary>
    public bool Gone { get; private init; }

    /// <summary>Why nothing of the item is applied (e.g. a Smartsheet discussion on the sheet rather than a row).</summary>
    public string? Skipped { get; private init; }

    /// <summary>What a sender's API answered, made storable as parsers' changes are (<see cref="SenderText"/>).</summary>
    public static FetchedItem Found(IReadOnlyList<NormalizedChange> changes) => new() { Changes = [.. changes.Select(SenderText.Clean)] };

    public static FetchedItem NotFound { get; } = new() { Gone = true };

    public static FetchedItem Skip(string reason) => new() { Skipped = reason };
}
