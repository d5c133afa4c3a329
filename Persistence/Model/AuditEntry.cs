namespace Webhooks.Persistence.Model;

/// <summary>One applied change: who (the acting user), what, and which delivery and integration it came from.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public Guid RecordId { get; set; }
    public Guid UserId { get; set; }
    public required string Action { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
    public DateTimeOffset At { get; set; }
    public Guid? DeliveryId { get; set; }
    public Guid? IntegrationId { get; set; }
}
