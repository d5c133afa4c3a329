using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Webhooks.Workers.Health;

public static class HealthExtensions
{
    public const string ReadyTag = "ready";

    /// <summary>
    /// Kestrel listens on <c>Workers:HealthPort</c> only. Readiness = PostgreSQL plus the MassTransit bus check
    /// (which AddMassTransit registers with the <c>ready</c> tag). The bus check says Degraded, not Unhealthy, while
    /// the broker is away (the bus's own endpoint stays healthy), so Degraded is not ready either: a worker that
    /// cannot consume one of its queues is not ready.
    /// </summary>
    public static IHostApplicationBuilder AddHealthEndpoints(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<WorkerOptions>>((kestrel, worker) => kestrel.ListenAnyIP(worker.Value.HealthPort));
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
        return builder;
    }

    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        return app;
    }
}
