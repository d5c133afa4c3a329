using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Webhooks.Testing;

/// <summary>
/// Who listens to the process's activity sources and meters, asked without listening: an activity is created, and a
/// measurement aggregated, only when someone does, so "nothing listens" means no cost per request or command.
/// </summary>
public static class TelemetryListeners
{
    /// <summary>
    /// Which of the named sources exist and have a listener. A probe that listens to nothing itself is shown every
    /// source that exists, so it can ask each whether anyone else does.
    /// </summary>
    public static IReadOnlyList<string> ListenedSources(params string[] names)
    {
        var listened = new HashSet<string>(StringComparer.Ordinal);
        using var probe = new ActivityListener
        {
            ShouldListenTo = source =>
            {
                if (names.Contains(source.Name) && source.HasListeners())
                {
                    listened.Add(source.Name);
                }
                return false;
            },
        };
        ActivitySource.AddActivityListener(probe);
        return [.. listened];
    }

    /// <summary>Which of the named meters have an instrument that some listener enabled; the probe enables none.</summary>
    public static IReadOnlyList<string> EnabledMeters(params string[] names)
    {
        var enabled = new HashSet<string>(StringComparer.Ordinal);
        using var probe = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (names.Contains(instrument.Meter.Name) && instrument.Enabled)
                {
                    enabled.Add(instrument.Meter.Name);
                }
            },
        };
        probe.Start();
        return [.. enabled];
    }
}
