using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Operations.Replay;

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

    /// <summary>The statuses a replay may take: every one but those never meant to be processed.</summary>
    public static IReadOnlyList<DeliveryStatus> Replayable { get; } =
        [.. Enum.GetValues<DeliveryStatus>().Where(s => s is not (DeliveryStatus.Handshake or DeliveryStatus.Rejected))];

    internal IQueryable<Delivery> Apply(IQueryable<Delivery> deliveries)
    {
        var query = deliveries.Where(d => d.Status != DeliveryStatus.Handshake && d.Status != DeliveryStatus.Rejected);
        if (Ids.Count > 0)
        {
            query = query.Where(d => Ids.Contains(d.Id));
        }
        if (Statuses.Count > 0)
        {
            query = query.Where(d => Statuses.Contains(d.Status));
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
