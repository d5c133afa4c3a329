using MassTransit;

namespace Webhooks.Ingress.Bus;

public static class BusExtensions
{
    public const string RabbitMqSectionName = "RabbitMqTransport";

    /// <summary>
    /// A send-only bus: the ingress declares no queues and consumes nothing. It must start and accept (store)
    /// deliveries while the broker is down, so it does not wait for the bus; the outbox relay catches up.
    /// </summary>
    public static WebApplicationBuilder AddWebhooksBus(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RabbitMqTransportOptions>().BindConfiguration(RabbitMqSectionName);
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = false;
            options.StopTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Services.AddMassTransit(bus =>
        {
            bus.DisableUsageTelemetry();
            // A broker outage must not take the ingress out of rotation: deliveries are stored in PostgreSQL first.
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Name = "broker";
                health.MinimalFailureStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded;
                health.Tags.Add("broker");
            });
            bus.UsingRabbitMq((_, _) => { });
        });
        return builder;
    }
}
