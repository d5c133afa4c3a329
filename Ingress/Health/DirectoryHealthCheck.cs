using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Health;

/// <summary>Not ready until the token directory has loaded once: before that every token would look unknown.</summary>
internal sealed class DirectoryHealthCheck(IntegrationsByToken integrationsByToken) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(integrationsByToken.IsLoaded
            ? HealthCheckResult.Healthy($"{integrationsByToken.Count} integrations")
            : HealthCheckResult.Unhealthy("The integration directory has not loaded yet."));
}
