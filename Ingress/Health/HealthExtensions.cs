using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Ingress.Admin;

namespace Webhooks.Ingress.Health;

public static class HealthExtensions
{
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<DirectoryHealthCheck>("directory", tags: ["ready"])
            .AddCheck<OutboxHealthCheck>("outbox", tags: ["broker"]);
        builder.Services.AddSingleton<SharedReadyReport>();
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers. <c>/health/ready</c>: database, token directory and broker, with a JSON report
    /// at most <see cref="SharedReadyReport.MaxAge"/> old. Degraded (database down, holding queue up; or broker down, database
    /// up) is still ready: 200 with status Degraded. With <c>Ingress:AdminPort</c> set, the other ports get each check's status
    /// without its description (backlog and integration counts are for operators, not for whoever knows the address).
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        var adminPort = app.Configuration.GetValue<int?>(AdminApi.AdminPortSetting);
        app.MapMethods("/health/ready", [HttpMethods.Get, HttpMethods.Head], async (HttpContext context, SharedReadyReport ready) =>
        {
            var (report, checkedAt) = await ready.GetAsync().WaitAsync(context.RequestAborted);
            var described = adminPort is not { } port || context.Connection.LocalPort == port;
            context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            context.Response.Headers.CacheControl = "no-store, no-cache";
            context.Response.ContentType = "application/json";
            var body = new Dictionary<string, object>
            {
                ["status"] = report.Status.ToString(),
                ["checkedAt"] = checkedAt,
                ["checks"] = report.Entries.ToDictionary(e => e.Key, e => described
                    ? new Dictionary<string, string?> { ["status"] = e.Value.Status.ToString(), ["description"] = e.Value.Description }
                    : new Dictionary<string, string?> { ["status"] = e.Value.Status.ToString() }),
            };
            await context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
        });
        return app;
    }
}
