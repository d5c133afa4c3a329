using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Webhooks.Workers.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The standard variable the OTLP exporter reads; without it nothing is exported.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// JSON console logs with scopes (the consumer puts the delivery id and integration id in scope), and OpenTelemetry
    /// traces and metrics built with the SDK directly (the hosting package is not in our registry):
    /// <see cref="TelemetryStarter"/> owns the providers, created before the bus starts and disposed (flushed) with the
    /// host. They are built only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set in the environment, which is where the
    /// exporter reads it (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>).
    /// No <c>Microsoft.AspNetCore</c> source: the only requests here are health probes.
    /// </summary>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.UseUtcTimestamp = true;
        });

        var exportOtlp = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OtlpEndpointVariable));
        if (exportOtlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeScopes = true;
                logging.SetResourceBuilder(Resource());
                logging.AddOtlpExporter();
            });
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkerTelemetry>();
        // Without the exporter no provider: nothing would read what they collect, and with nothing listening MassTransit
        // and Npgsql create no activity per message and per command.
        builder.Services.AddHostedService(_ => new TelemetryStarter(exportOtlp ? Tracing() : null, exportOtlp ? Metrics() : null));
        return builder;
    }

    // No SetSampler: the SDK's default is ParentBased(AlwaysOn), and only then does it honour OTEL_TRACES_SAMPLER and
    // OTEL_TRACES_SAMPLER_ARG. A worker's spans mostly continue the ingress's trace, so they follow its decision.
    private static TracerProvider Tracing() =>
        Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(Resource())
            .AddSource("MassTransit", "Npgsql", "System.Net.Http", WorkerTelemetry.Name)
            .AddOtlpExporter()
            .Build();

    private static MeterProvider Metrics() =>
        Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(Resource())
            .AddMeter("MassTransit", "Npgsql", "System.Net.Http", "System.Runtime", WorkerTelemetry.Name)
            .AddOtlpExporter()
            .Build();

    private static ResourceBuilder Resource() =>
        ResourceBuilder.CreateDefault().AddService("webhooks-workers",
            serviceVersion: typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            serviceInstanceId: Environment.MachineName);
}
