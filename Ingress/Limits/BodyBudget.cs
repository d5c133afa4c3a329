using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Limits;

/// <summary>
/// The process-wide cap on webhook body bytes held by requests in progress (<c>Ingress:Limits:MaxBodyBytesInFlight</c>).
/// Bytes are taken as they are read, never as a sender declares them, so connections that announce 5 MiB and trickle
/// hold only what they actually sent; a request gives its bytes back when it ends. Past the cap a request is answered
/// 503 with Retry-After instead of buffering on. Observable as <c>webhooks.ingress.body.in_flight</c>.
/// </summary>
public sealed class BodyBudget
{
    private readonly long _capacity;
    private long _inFlight;

    public BodyBudget(IOptions<ConnectionLimitsOptions> options, IMeterFactory meters)
    {
        _capacity = options.Value.MaxBodyBytesInFlight;
        meters.Create(IngressTelemetry.Name).CreateObservableUpDownCounter(
            "webhooks.ingress.body.in_flight", () => Volatile.Read(ref _inFlight), "By", "Webhook body bytes read and held by requests in progress.");
    }

    /// <summary>Takes <paramref name="bytes"/> from the budget, or nothing and false when they do not fit.</summary>
    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _inFlight, bytes) <= _capacity)
        {
            return true;
        }
        Interlocked.Add(ref _inFlight, -bytes);
        return false;
    }

    public void Return(long bytes) => Interlocked.Add(ref _inFlight, -bytes);
}
