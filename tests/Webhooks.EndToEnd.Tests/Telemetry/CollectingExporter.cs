using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>Keeps what the ingress's TracerProvider exports, after its own processors (the token redaction) ran.</summary>
public sealed class CollectingExporter : BaseExporter<Activity>
{
    private readonly ConcurrentQueue<(string Source, string Name, ActivityTraceId TraceId, Dictionary<string, string?> Tags)> _exported = new();

    public IReadOnlyList<(string Source, string Name, ActivityTraceId TraceId, Dictionary<string, string?> Tags)> Exported => [.. _exported];

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var span in batch)
        {
            _exported.Enqueue((span.Source.Name, span.DisplayName, span.TraceId, span.TagObjects.ToDictionary(t => t.Key, t => t.Value?.ToString())));
        }
        return ExportResult.Success;
    }
}
