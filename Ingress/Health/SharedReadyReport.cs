using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Webhooks.Ingress.Health;

/// <summary>
/// The readiness report, checked at most once per <see cref="MaxAge"/> however many ask, and shared by everyone who asks
/// meanwhile. <c>/health/ready</c> answers without a key (probes and load balancers have none), so when every request ran
/// the checks, anyone could make PostgreSQL run two queries per request; now a flood of it costs one round a second.
/// </summary>
internal sealed class SharedReadyReport(HealthCheckService health, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<ReadyReport>? _latest;
    private long _startedAt;

    /// <summary>The latest report, or a new one when it is older than <see cref="MaxAge"/>; one check runs at a time.</summary>
    public Task<ReadyReport> GetAsync()
    {
        lock (_gate)
        {
            if (_latest is null || (_latest.IsCompleted && clock.GetElapsedTime(_startedAt) >= MaxAge))
            {
                _startedAt = clock.GetTimestamp();
                var checkedAt = clock.GetUtcNow();
                // Not run under the lock, nor cancelled with the request that happened to start it: others wait for it too.
                _latest = Task.Run(async () => new ReadyReport(await health.CheckHealthAsync(IsReadyCheck, CancellationToken.None), checkedAt));
            }
            return _latest;
        }
    }

    private static bool IsReadyCheck(HealthCheckRegistration check) => check.Tags.Contains("ready") || check.Tags.Contains("broker");
}

/// <summary>A readiness report and when its checks started.</summary>
internal sealed record ReadyReport(HealthReport Report, DateTimeOffset CheckedAt);
