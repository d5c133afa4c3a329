using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Ingress.Holding;

namespace Webhooks.Ingress.Health;

/// <summary>
/// Healthy when PostgreSQL answers. When it does not but the broker is connected, deliveries are still accepted
/// through the holding queue: Degraded (still ready, with a description). With neither: Unhealthy, so not ready.
/// The bus's own health lags a broker that just went away, so the last hold attempt counts too.
/// </summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource, IBusControl bus, IOptions<HoldingOptions> holding, HoldingQueue holdingQueue) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            if (holding.Value.Enabled && !holdingQueue.LastAttemptFailed && bus.CheckHealth().Status == BusHealthStatus.Healthy)
            {
                return HealthCheckResult.Degraded("PostgreSQL is not reachable; deliveries are accepted into the RabbitMQ holding queue.", e);
            }
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable and neither is the holding queue.", e);
        }
    }
}
