namespace Webhooks.Persistence.Model;

/// <summary>
/// The ledger that makes applying idempotent: (record, dedup key) is unique, so the same change reaching
/// the same record again — through another webhook, a retry or a replay — is recognised and skipped.
/// </summary>
public sealed class AppliedChange
{
    public Guid RecordId { get; set; }
    public required string DedupKey { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset AppliedAt { get; set; }
}
