using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Webhooks.Ingress.Telemetry;

/// <summary>
/// Owns the OpenTelemetry providers (null when nothing would take what they collect). The host builds every hosted
/// service before starting any, so building this one creates them before MassTransit and Kestrel emit their first
/// activity; the container disposes it, and so flushes them, at shutdown.
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
