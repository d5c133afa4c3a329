namespace Webhooks.Persistence.Model;

/// <summary>A record linked to an item in a sending tool, through one integration.</summary>
public sealed class Link
{
    public Guid Id { get; set; }
    public Guid RecordId { get; set; }
    public Guid IntegrationId { get; set; }
    public required string ExternalId { get; set; }
    public string? ExternalKey { get; set; }
    public string? ExternalUrl { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
