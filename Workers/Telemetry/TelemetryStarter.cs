using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Webhooks.Workers.Telemetry;

/// <summary>
/// Owns the OpenTelemetry providers (null without an exporter). The host builds every hosted service before starting
/// any, so building this one creates them before MassTransit receives its first message; the container disposes it,
/// and so flushes them, at shutdown.
/// </summary>
internal sealed class TelemetryStarter(TracerProvider? tracerProvider, MeterProvider? meterProvider) : IHostedService, IDisposable
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        tracerProvider?.Dispose();
        meterProvider?.Dispose();
    }
}
