using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>Every log line (Trace and up, scopes and state included) and every activity (name, tags, events) of the test host.</summary>
public sealed class CapturedTelemetry : ILoggerProvider, IDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ActivityListener _activities;

    public CapturedTelemetry()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    private void Record(Activity activity)
    {
        var text = $"activity {activity.Source.Name} {activity.OperationName} {activity.DisplayName} {activity.StatusDescription} "
            + string.Join(' ', activity.TagObjects.Select(tag => $"{tag.Key}={tag.Value}"))
            + string.Join(' ', activity.Events.Select(e => e.Name + " " + string.Join(' ', e.Tags.Select(tag => $"{tag.Key}={tag.Value}"))))
            + string.Join(' ', activity.Baggage.Select(item => $"{item.Key}={item.Value}"));
        _lines.Enqueue(text);
    }

    public void Dispose() => _activities.Dispose();

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue($"scope {category} {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {Describe(state)} {exception}");

        private static string Describe(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(' ', pairs.Select(pair => $"{pair.Key}={pair.Value}"))
            : state?.ToString() ?? "";
    }
}
