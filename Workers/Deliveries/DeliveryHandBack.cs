using Npgsql;
using Webhooks.Persistence;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// Puts deliveries that failed in a batch message back in the outbox, to be sent alone: the outbox relay is the only
/// sender, and it sends a delivery attempted before as its own <c>ProcessDelivery</c>, whose retries and dead letter are
/// per delivery. One statement, which also wakes every relay (<see cref="OutboxChannel"/>), delivered at its commit.
/// Only a delivery still waiting for its outcome goes back; one that got it meanwhile (another copy of the message) stays.
/// </summary>
public sealed class DeliveryHandBack(NpgsqlDataSource dataSource)
{
    public async Task SendAloneAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        // The outbox trigger adds each delivery's row; pg_notify runs once per statement that put anything back.
        await using var command = dataSource.CreateCommand("""
            WITH handed AS (
                UPDATE deliveries SET status = 'accepted', published_at = NULL
                WHERE id = ANY($1) AND status IN ('accepted', 'queued')
                RETURNING id)
            SELECT pg_notify($2, '') FROM (SELECT 1 FROM handed LIMIT 1) AS any_handed
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. deliveryIds] });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = OutboxChannel.Name });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
