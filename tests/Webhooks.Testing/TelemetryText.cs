using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging.Testing;

namespace Webhooks.Testing;

/// <summary>
/// What a sink could write of a log record (<see cref="FakeLogCollector"/>) or a span (OpenTelemetry's in-memory
/// exporter), as one string, for the tests that check no secret is ever among it.
/// </summary>
public static class TelemetryText
{
    /// <summary>Level, category, message, the state's values, every scope's values (as a JSON console shows them) and the exception.</summary>
    public static string Of(FakeLogRecord record)
    {
        var text = new StringBuilder($"{record.Level} {record.Category}: {record.Message}");
        Append(text, record.State);
        foreach (var scope in record.Scopes)
        {
            Append(text, scope);
        }
        return text.Append(" | ").Append(record.Exception).ToString();
    }

    /// <summary>Source, names, status, tags, events with their tags, links' tags and baggage.</summary>
    public static string Of(Activity span)
    {
        var text = new StringBuilder($"{span.Source.Name} {span.OperationName} '{span.DisplayName}' {span.Status} {span.StatusDescription}");
        Append(text, span.TagObjects);
        foreach (var spanEvent in span.Events)
        {
            text.Append(" | event ").Append(spanEvent.Name);
            Append(text, spanEvent.Tags);
        }
        foreach (var link in span.Links)
        {
            Append(text, link.Tags);
        }
        foreach (var (key, value) in span.Baggage)
        {
            text.Append(' ').Append(key).Append('=').Append(value);
        }
        return text.ToString();
    }

    /// <summary>
    /// A copy of what an in-memory exporter has collected so far. It appends on whichever thread ends a span (one at a
    /// time per provider) while the test reads, so this copies the items counted at the start and skips a slot whose
    /// item is still being written.
    /// </summary>
    public static IReadOnlyList<T> Snapshot<T>(this List<T> exported) where T : class
    {
        var count = exported.Count;
        var copy = new T[count];
        exported.CopyTo(0, copy, 0, count);
        return [.. copy.Where(item => item is not null)];
    }

    private static void Append(StringBuilder text, object? value)
    {
        text.Append(" | ").Append(value);
        // A scope or span keeps its values as objects; FakeLogger keeps a record's state as strings.
        if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, item) in pairs)
            {
                text.Append(' ').Append(key).Append('=').Append(item);
            }
        }
        else if (value is IEnumerable<KeyValuePair<string, string?>> strings)
        {
            foreach (var (key, item) in strings)
            {
                text.Append(' ').Append(key).Append('=').Append(item);
            }
        }
    }
}
