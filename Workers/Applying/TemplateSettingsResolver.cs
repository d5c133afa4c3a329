using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Applying;

/// <summary>
/// What an integration takes from its template chain: its own <c>statusMappings</c> entries over those inherited, and,
/// for Standard Webhooks, its own <c>mapping</c> or else the nearest template's (a mapping is one whole: the event types
/// of a sender's payloads, never merged across the chain). A circular chain, a missing template or unreadable settings
/// is a mapping error: the delivery fails with the reason.
/// </summary>
public sealed class TemplateSettingsResolver(WebhooksDbContext db)
{
    // Scoped to one batch: a chain is read once for both what it gives (status mappings, a payload mapping).
    private readonly Dictionary<Guid, (List<Integration> Chain, string? Failure)> _chains = [];

    public async Task<StatusMappingResult> StatusMappingsAsync(Integration integration, CancellationToken cancellationToken)
    {
        var (chain, failure) = await ChainAsync(integration, cancellationToken);
        if (failure is not null)
        {
            return StatusMappingResult.Error(failure);
        }

        // Own entries win: walk from the integration outwards and keep the first value seen for each status.
        var mappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var link in chain)
        {
            if (!TryParse(link, out var settings, out var unreadable))
            {
                return StatusMappingResult.Error(unreadable);
            }
            foreach (var (from, to) in settings.StatusMappings)
            {
                mappings.TryAdd(from, to);
            }
        }
        return StatusMappingResult.Resolved(mappings);
    }

    /// <summary>
    /// The integration as its payload parser reads it: unchanged when it has a <c>mapping</c> of its own (or no template),
    /// otherwise a copy whose settings carry the nearest template's mapping. Its own settings are not checked here: the
    /// parser reports them.
    /// </summary>
    public async Task<(Integration Integration, string? Failure)> WithInheritedMappingAsync(Integration integration, CancellationToken cancellationToken)
    {
        if (integration.TemplateId is null || !TryParse(integration, out var own, out _) || own.Mapping is { ValueKind: not JsonValueKind.Null })
        {
            return (integration, null);
        }
        var (chain, failure) = await ChainAsync(integration, cancellationToken);
        if (failure is not null)
        {
            return (integration, failure);
        }
        foreach (var template in chain.Skip(1))
        {
            if (!TryParse(template, out var settings, out var unreadable))
            {
                return (integration, unreadable);
            }
            if (settings.Mapping is { ValueKind: not JsonValueKind.Null } mapping)
            {
                return (WithMapping(integration, mapping), null);
            }
        }
        return (integration, null);
    }

    /// <summary>The integration, then its template, that one's template, and so on.</summary>
    private async Task<(List<Integration> Chain, string? Failure)> ChainAsync(Integration integration, CancellationToken cancellationToken)
    {
        if (!_chains.TryGetValue(integration.Id, out var walked))
        {
            walked = await WalkAsync(integration, cancellationToken);
            _chains[integration.Id] = walked;
        }
        return walked;
    }

    private async Task<(List<Integration> Chain, string? Failure)> WalkAsync(Integration integration, CancellationToken cancellationToken)
    {
        var chain = new List<Integration> { integration };
        var seen = new HashSet<Guid> { integration.Id };
        var next = integration.TemplateId;
        while (next is { } templateId)
        {
            var template = await db.Integrations.Where(i => i.Id == templateId).Select(IntegrationColumns.WithoutSecrets).SingleOrDefaultAsync(cancellationToken);
            if (template is null)
            {
                return (chain, $"Template integration {templateId} of '{chain[^1].Name}' does not exist.");
            }
            if (!seen.Add(templateId))
            {
                var path = string.Join(" → ", chain.Select(i => $"'{i.Name}'"));
                return (chain, $"Circular template chain: {path} → '{template.Name}'.");
            }
            chain.Add(template);
            next = template.TemplateId;
        }
        return (chain, null);
    }

    private static bool TryParse(Integration integration, out IntegrationSettings settings, out string failure)
    {
        try
        {
            settings = IntegrationSettings.Parse(integration.Settings);
            failure = "";
            return true;
        }
        catch (JsonException e)
        {
            settings = new IntegrationSettings();
            failure = $"Settings of integration '{integration.Name}' are not valid JSON: {e.Message}";
            return false;
        }
    }

    private static Integration WithMapping(Integration integration, JsonElement mapping)
    {
        var settings = JsonNode.Parse(string.IsNullOrWhiteSpace(integration.Settings) ? "{}" : integration.Settings) as JsonObject ?? [];
        settings["mapping"] = JsonNode.Parse(mapping.GetRawText());
        var copy = IntegrationColumns.Copy(integration);
        copy.Settings = settings.ToJsonString();
        return copy;
    }
}
