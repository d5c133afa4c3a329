using System.Collections.Concurrent;
using System.Diagnostics;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// Every span this process finishes from the given sources, caught with a plain <see cref="ActivityListener"/>
/// (OpenTelemetry's in-memory exporter is not in our registry). Ingress and worker run in this process, so one
/// collector sees both sides of the broker.
/// </summary>
public sealed class SpanCollector : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public SpanCollector(params string[] sources)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> InTrace(ActivityTraceId traceId) => [.. _spans.Where(s => s.TraceId == traceId)];

    /// <summary>Waits (bounded) for a finished span that matches; spans end a moment after the work they cover is committed.</summary>
    public async Task<Activity> WaitForAsync(Func<Activity, bool> match, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (_spans.FirstOrDefault(match) is { } span)
            {
                return span;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"No {what} span within {(within ?? TimeSpan.FromSeconds(10)).TotalSeconds} s. Spans seen: {string.Join("; ", _spans.Where(s => s.Source.Name != "Npgsql").Select(s => $"{s.Source.Name}/{s.DisplayName} {s.TraceId} [{string.Join(", ", s.TagObjects)}]"))}");
        return null!;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="span"/>'s parent, grandparent, … among the collected spans.</summary>
    public bool IsUnder(Activity span, Activity ancestor)
    {
        var bySpanId = _spans.Where(s => s.TraceId == span.TraceId).ToDictionary(s => s.SpanId);
        var parent = span.ParentSpanId;
        for (var depth = 0; depth < 32 && parent != default; depth++)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
            if (!bySpanId.TryGetValue(parent, out var next))
            {
                return false;
            }
            parent = next.ParentSpanId;
        }
        return false;
    }

    public void Dispose() => _listener.Dispose();
}
