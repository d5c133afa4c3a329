using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Operations.Replay;

/// <summary>
/// Which stored deliveries a replay takes (<c>deliveries replay</c>, <c>POST /api/v1/admin/deliveries/replay</c>).
/// Criteria combine; at least one is required. Handshakes and rejected deliveries are never taken.
/// </summary>
public sealed record StoredDeliveryFilter
{
    public IReadOnlyList<Guid> Ids { get; init; } = [];
    public IReadOnlyList<DeliveryStatus> Statuses { get; init; } = [];
    public Guid? IntegrationId { get; init; }
    public Provider? Provider { get; init; }
    /// <summary>Received at or after.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Received before.</summary>
    public DateTimeOffset? Until { get; init; }

    public bool SelectsSomething => Ids.Count > 0 || Statuses.Count > 0 || IntegrationId is not null || Provider is not null || Since is not null || Until is not null;

    /// <summary>
    /// Whether a replay may take a delivery of this status: every one but those never meant to be processed. The one
    /// rule for the admin API, the console, the command line and the dead-letter tools (the SQL of
    /// <see cref="StoredDeliveryReplay"/> spells the same two statuses).
    /// </summary>
    public static bool IsReplayable(DeliveryStatus status) => status is not (DeliveryStatus.Handshake or DeliveryStatus.Rejected);

    /// <summary>The statuses a replay may take (<see cref="IsReplayable"/>).</summary>
    public static IReadOnlyList<DeliveryStatus> Replayable { get; } = [.. Enum.GetValues<DeliveryStatus>().Where(IsReplayable)];

    internal IQueryable<Delivery> Apply(IQueryable<Delivery> deliveries, WebhooksDbContext db)
    {
        var query = deliveries.Where(d => Replayable.Contains(d.Status));
        if (Ids.Count > 0)
        {
            query = query.Where(d => Ids.Contains(d.Id));
        }
        if (Statuses.Count > 0)
        {
            query = query.WhereShown(db, Statuses);
        }
        if (IntegrationId is { } integration)
        {
            query = query.Where(d => d.IntegrationId == integration);
        }
        if (Provider is { } provider)
        {
            query = query.Where(d => d.Provider == provider);
        }
        if (Since is { } since)
        {
            query = query.Where(d => d.ReceivedAt >= since);
        }
        if (Until is { } until)
        {
            query = query.Where(d => d.ReceivedAt < until);
        }
        return query;
    }
}
