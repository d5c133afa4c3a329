using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Webhooks.Ingress.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>
    /// JSON logs, and OpenTelemetry traces and metrics built with the SDK directly (the hosting package is not in
    /// our registry): the providers are DI singletons, created before the bus starts and disposed (flushed) with the host.
    /// The OTLP exporter follows OTEL_EXPORTER_OTLP_ENDPOINT; without a collector it drops data quietly.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        // ASP.NET Core 10 only puts the OpenTelemetry HTTP tags on its request activity with this switch.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.UseUtcTimestamp = true;
        });

        var exportOtlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (exportOtlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeScopes = true;
                logging.SetResourceBuilder(Resource());
                logging.AddOtlpExporter();
            });
        }

        builder.Services.AddSingleton<IngressTelemetry>();
        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(Resource())
                .AddSource("Microsoft.AspNetCore", "MassTransit", "Npgsql", IngressTelemetry.Name)
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()));
            return (exportOtlp ? tracing.AddOtlpExporter() : tracing).Build();
        });
        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(Resource())
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "MassTransit", "Npgsql", "System.Runtime", IngressTelemetry.Name);
            return (exportOtlp ? metrics.AddOtlpExporter() : metrics).Build();
        });
        builder.Services.AddHostedService<TelemetryStarter>();
        return builder;
    }

    private static ResourceBuilder Resource() =>
        ResourceBuilder.CreateDefault().AddService("webhooks-ingress", serviceInstanceId: Environment.MachineName);
}
