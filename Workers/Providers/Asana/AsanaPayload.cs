using System.Text.Json.Serialization;

namespace Webhooks.Workers.Providers.Asana;

// The parts of an Asana webhook body the pipeline reads (providers.md §4.1): {"events":[…]}. Everything else is skipped.

internal sealed class AsanaPayload
{
    public List<AsanaEvent>? Events { get; set; }
}

internal sealed class AsanaEvent
{
    public AsanaResource? User { get; set; }
    public string? CreatedAt { get; set; }
    public string? Action { get; set; }
    public AsanaResource? Parent { get; set; }
    public AsanaChange? Change { get; set; }
    public AsanaResource? Resource { get; set; }
}

internal sealed class AsanaResource
{
    public string? Gid { get; set; }
    public string? ResourceType { get; set; }
    public string? ResourceSubtype { get; set; }
}

internal sealed class AsanaChange
{
    public string? Field { get; set; }
    public string? Action { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AsanaPayload))]
internal sealed partial class AsanaJsonContext : JsonSerializerContext;
