using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Webhooks.Ingress.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The OTLP exporter's own setting (environment or any configuration source); without it nothing is exported.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>What request spans show instead of a webhook's path: the token works like a password.</summary>
    public const string RedactedWebhookPath = "/api/v1/webhooks/{token}";

    /// <summary>
    /// JSON logs, and OpenTelemetry through its hosting package. What the providers collect is configured here, but no
    /// provider exists until a consumer asks for one: the OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
    /// (it reads <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_TRACES_SAMPLER</c>, … itself), or a
    /// test's in-memory exporter. Without one nothing listens, so ASP.NET Core, Npgsql and MassTransit create no activity
    /// and aggregate no measurement per request and per command that no one would read.
    /// The webhook token is in the URL path, so spans may not carry the raw path (see below).
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.UseUtcTimestamp = true;
        });
        // The categories that would log the token with the request path are filtered by AddRequestLimits().

        builder.Services.AddSingleton<IngressTelemetry>();
        var openTelemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("webhooks-ingress",
            serviceVersion: typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            serviceInstanceId: Environment.MachineName));
        // No SetSampler: the SDK's default is ParentBased(AlwaysOn), and only then does it honour OTEL_TRACES_SAMPLER
        // and OTEL_TRACES_SAMPLER_ARG (e.g. parentbased_traceidratio, 0.1).
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddAspNetCoreInstrumentation(requests =>
            {
                requests.EnrichWithHttpRequest = RedactWebhookToken;
                requests.EnrichWithHttpResponse = TagServerError;
            })
            .AddHttpClientInstrumentation()
            .AddNpgsql()
            .AddSource("MassTransit", IngressTelemetry.Name));
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddMeter("MassTransit", IngressTelemetry.Name));
        builder.Services.Configure<OpenTelemetryLoggerOptions>(logging => logging.IncludeScopes = true);
        if (!string.IsNullOrEmpty(builder.Configuration[OtlpEndpointKey]))
        {
            openTelemetry.UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>
    /// Runs as the request span starts, right after the instrumentation set <c>url.path</c> and before any processor or
    /// exporter sees it. The span's name and <c>http.route</c> come from the route template, which names no token.
    /// Any path that names a webhook is replaced, matched or not: a sender's mistyped URL (a segment dropped or added,
    /// "webhook") still carries its token.
    /// </summary>
    private static void RedactWebhookToken(Activity activity, HttpRequest request)
    {
        if (activity.GetTagItem("url.path") is string path && path.Contains("webhook", StringComparison.OrdinalIgnoreCase))
        {
            activity.SetTag("url.path", RedactedWebhookPath);
        }
    }

    /// <summary>The instrumentation marks a 5xx as an error but sets <c>error.type</c> only for a thrown exception.</summary>
    private static void TagServerError(Activity activity, HttpResponse response)
    {
        if (response.StatusCode >= 500 && activity.GetTagItem("error.type") is null)
        {
            activity.SetTag("error.type", response.StatusCode.ToString(CultureInfo.InvariantCulture));
        }
    }
}
