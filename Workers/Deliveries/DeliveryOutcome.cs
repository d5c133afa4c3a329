using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Deliveries;

/// <summary>What processing decided for a delivery; written onto the delivery row in the same transaction.</summary>
public sealed record DeliveryOutcome(DeliveryStatus Status, string? Reason, int Applied = 0, int Duplicates = 0, int NoTarget = 0)
{
    public static DeliveryOutcome Ignored(string reason) => new(DeliveryStatus.Ignored, reason);

    public static DeliveryOutcome Failed(string reason) => new(DeliveryStatus.Failed, reason);

    /// <summary><c>duplicate</c> when every (target, change) was already applied; otherwise <c>processed</c>.</summary>
    public static DeliveryOutcome FromCounts(int applied, int duplicates, int noTarget) =>
        new(applied == 0 && duplicates > 0 && noTarget == 0 ? DeliveryStatus.Duplicate : DeliveryStatus.Processed, null, applied, duplicates, noTarget);
}
