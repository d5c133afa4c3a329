using System.Diagnostics;
using System.Reflection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Webhooks.Ingress.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The standard variable the OTLP exporter reads; without it nothing is exported.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// JSON logs, and OpenTelemetry traces and metrics built with the SDK directly (the hosting package is not in
    /// our registry): <see cref="TelemetryStarter"/> owns the providers, created before the bus starts and disposed
    /// (flushed) with the host. They are built only for the OTLP exporter, added when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set in the environment, which is where the exporter itself reads it (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
    /// <c>OTEL_SERVICE_NAME</c>, …), or for span processors a test registers.
    /// The webhook token is in the URL path, so neither logs nor spans may carry the raw path (see below).
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        // ASP.NET Core 10 puts the OpenTelemetry request-start tags on its request activity only with this switch;
        // RequestSpanTags adds the route and status that ASP.NET Core 10 leaves out.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);
        builder.Services.AddSingleton<IStartupFilter, RequestSpanTags>();

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.UseUtcTimestamp = true;
        });
        // This category writes "Request starting … /api/v1/webhooks/<token>" and opens the per-request scope whose
        // RequestPath would put the token on every line logged during a webhook. Off at any configured level:
        // request counts and latencies come from the metrics and spans instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Route matching names the request path at Debug.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.Matching", LogLevel.Information);

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

        builder.Services.AddSingleton<IngressTelemetry>();
        builder.Services.AddHostedService(services => new TelemetryStarter(Tracing(services, exportOtlp), exportOtlp ? Metrics() : null));
        return builder;
    }

    /// <summary>
    /// A tracer only when something takes its spans: the OTLP exporter, or span processors registered in DI (tests
    /// export spans to memory this way). Without one nothing listens, so ASP.NET Core, Npgsql and MassTransit create
    /// no activity per request and per command that no one would export.
    /// </summary>
    private static TracerProvider? Tracing(IServiceProvider services, bool exportOtlp)
    {
        var processors = services.GetServices<BaseProcessor<Activity>>().ToList();
        if (!exportOtlp && processors.Count == 0)
        {
            return null;
        }
        // No SetSampler: the SDK's default is ParentBased(AlwaysOn), and only then does it honour OTEL_TRACES_SAMPLER
        // and OTEL_TRACES_SAMPLER_ARG (e.g. parentbased_traceidratio, 0.1).
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(Resource())
            .AddSource("Microsoft.AspNetCore", "MassTransit", "Npgsql", "System.Net.Http", IngressTelemetry.Name)
            // First, so no exporter sees a token.
            .AddProcessor(new WebhookTokenRedaction());
        foreach (var processor in processors)
        {
            tracing.AddProcessor(processor);
        }
        return (exportOtlp ? tracing.AddOtlpExporter() : tracing).Build();
    }

    /// <summary>Only with the exporter: a meter provider aggregates every measurement, which no one reads without it.</summary>
    private static MeterProvider Metrics() =>
        Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(Resource())
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "MassTransit", "Npgsql", "System.Net.Http",
                "System.Runtime", IngressTelemetry.Name)
            .AddOtlpExporter()
            .Build();

    private static ResourceBuilder Resource() =>
        ResourceBuilder.CreateDefault().AddService("webhooks-ingress",
            serviceVersion: typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            serviceInstanceId: Environment.MachineName);
}
