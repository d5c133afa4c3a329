using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Webhooks.Ingress.Health;

/// <summary>
/// The broker as the ingress experiences it: deliveries stored but still unsent after <see cref="Stale"/>. MassTransit's
/// bus check cannot say this for a send-only bus (it has no receive endpoints to fault, so it stays Healthy while the
/// broker is away). Degraded, never Unhealthy: the ingress keeps accepting, and the outbox catches up when the broker returns.
/// </summary>
internal sealed class OutboxHealthCheck(NpgsqlDataSource dataSource, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan Stale = TimeSpan.FromSeconds(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT coalesce(sum(cardinality(delivery_ids)), 0), min(received_at) FROM outbox");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var waiting = reader.GetInt64(0);
            if (waiting == 0 || time.GetUtcNow() - reader.GetFieldValue<DateTimeOffset>(1) < Stale)
            {
                return HealthCheckResult.Healthy($"{waiting} deliveries waiting to be sent");
            }
            return HealthCheckResult.Degraded($"{waiting} deliveries waiting to be sent, the oldest for over {Stale.TotalSeconds:0} s: is the broker reachable?");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The database check reports this.
            return HealthCheckResult.Degraded("The outbox could not be read.", e);
        }
    }
}
