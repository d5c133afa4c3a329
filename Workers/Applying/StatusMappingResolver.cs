using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Applying;

/// <summary>
/// An integration's effective <c>statusMappings</c>: its own entries over those inherited along its template chain.
/// A circular chain, a missing template or unreadable settings is a mapping error: the delivery fails with the reason.
/// </summary>
public sealed class StatusMappingResolver(WebhooksDbContext db)
{
    public async Task<StatusMappingResult> ResolveAsync(Integration integration, CancellationToken cancellationToken)
    {
        var chain = new List<Integration> { integration };
        var seen = new HashSet<Guid> { integration.Id };
        var next = integration.TemplateId;
        while (next is { } templateId)
        {
            var template = await db.Integrations.Where(i => i.Id == templateId).Select(IntegrationColumns.WithoutSecrets).SingleOrDefaultAsync(cancellationToken);
            if (template is null)
            {
                return StatusMappingResult.Error($"Template integration {templateId} of '{chain[^1].Name}' does not exist.");
            }
            if (!seen.Add(templateId))
            {
                var path = string.Join(" → ", chain.Select(i => $"'{i.Name}'"));
                return StatusMappingResult.Error($"Circular template chain: {path} → '{template.Name}'.");
            }
            chain.Add(template);
            next = template.TemplateId;
        }

        // Own entries win: walk from the integration outwards and keep the first value seen for each status.
        var mappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var link in chain)
        {
            IntegrationSettings settings;
            try
            {
                settings = IntegrationSettings.Parse(link.Settings);
            }
            catch (JsonException e)
            {
                return StatusMappingResult.Error($"Settings of integration '{link.Name}' are not valid JSON: {e.Message}");
            }
            foreach (var (from, to) in settings.StatusMappings)
            {
                mappings.TryAdd(from, to);
            }
        }
        return StatusMappingResult.Resolved(mappings);
    }
}
