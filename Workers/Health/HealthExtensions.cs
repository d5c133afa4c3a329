using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Webhooks.Workers.Health;

public static class HealthExtensions
{
    public const string ReadyTag = "ready";

    /// <summary>
    /// Kestrel listens on <c>Workers:HealthPort</c> only. Readiness = PostgreSQL plus the MassTransit bus check
    /// (which AddMassTransit registers with the <c>ready</c> tag).
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
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }
}
