using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Webhooks.Workers.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The OTLP exporter's own setting (environment or any configuration source); without it nothing is exported.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// JSON console logs with scopes (the consumer puts the delivery id and integration id in scope), and OpenTelemetry
    /// through its hosting package. What the providers collect is configured here, but no provider exists until a
    /// consumer asks for one: the OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (it reads
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c> itself), or a test's
    /// in-memory exporter. Without one MassTransit and Npgsql create no activity per message and per command.
    /// No ASP.NET Core instrumentation: the only requests here are health probes.
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
        // HttpClient's Trace lines list the request and response headers: their text masks the values, but their
        // structured state keeps them, Authorization (a sender's API token) included, and an OTLP log exporter sends it.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", level => level >= LogLevel.Debug);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkerTelemetry>();
        var openTelemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("webhooks-workers",
            serviceVersion: typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            serviceInstanceId: Environment.MachineName));
        // No SetSampler: the SDK's default is ParentBased(AlwaysOn), and only then does it honour OTEL_TRACES_SAMPLER and
        // OTEL_TRACES_SAMPLER_ARG. A worker's spans mostly continue the ingress's trace, so they follow its decision.
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddHttpClientInstrumentation()
            .AddNpgsql()
            .AddSource("MassTransit", WorkerTelemetry.Name));
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddMeter("MassTransit", WorkerTelemetry.Name));
        builder.Services.Configure<OpenTelemetryLoggerOptions>(logging => logging.IncludeScopes = true);
        if (!string.IsNullOrEmpty(builder.Configuration[OtlpEndpointKey]))
        {
            openTelemetry.UseOtlpExporter();
        }
        return builder;
    }
}
