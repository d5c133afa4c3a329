using System.Text.Json.Serialization;

namespace Webhooks.Workers.Providers.Smartsheet;

// The parts of a Smartsheet callback the pipeline reads (providers.md §6.1). Everything else is skipped.

internal sealed class SmartsheetPayload
{
    public string? Nonce { get; set; }
    public long? ScopeObjectId { get; set; }
    public string? NewWebhookStatus { get; set; }
    public List<SmartsheetEvent>? Events { get; set; }
}

internal sealed class SmartsheetEvent
{
    public string? ObjectType { get; set; }
    public string? EventType { get; set; }
    public long? Id { get; set; }
    public long? RowId { get; set; }
    public long? ColumnId { get; set; }
    public long? UserId { get; set; }
    public string? Timestamp { get; set; }
    public string? ChangeAgent { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(SmartsheetPayload))]
internal sealed partial class SmartsheetJsonContext : JsonSerializerContext;
