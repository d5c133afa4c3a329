using Microsoft.AspNetCore.Builder;
using Webhooks.Persistence;
using Webhooks.Persistence.Secrets;
using Webhooks.Workers.Bus;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Health;
using Webhooks.Workers.Holding;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers;

/// <summary>
/// The worker's composition, one line per capability: a slim web host whose Kestrel serves only the health port.
/// Tests build the same host with their own <c>--Key=value</c> arguments, and may add services (an in-memory exporter)
/// through <c>configure</c>, which runs after the composition.
/// </summary>
public static class WorkerHost
{
    public static WebApplication Build(string[] args, bool deployTopologyOnly = false, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = CreateBuilder(args, deployTopologyOnly);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapHealthEndpoints();
        return app;
    }

    /// <summary>The host's builder with every capability registered, before it is built.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, bool deployTopologyOnly = false)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddTelemetry();
        builder.AddWorkerOptions();
        builder.AddWebhooksDatabase(KeyRingAccess.ReadOnly);
        builder.AddPayloadParsers();
        builder.AddDeliveryProcessing();
        builder.AddHoldingDrain();
        builder.AddWorkerBus(deployTopologyOnly);
        builder.AddHealthEndpoints();
        return builder;
    }
}
