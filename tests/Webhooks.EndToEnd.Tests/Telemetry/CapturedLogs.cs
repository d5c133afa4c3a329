using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>Every log line a host writes, rendered with its state and all its scopes, as a JSON console would show them.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            Append(line, state);
            owner._scopes.ForEachScope((scope, text) => Append(text, scope), line);
            if (exception is not null)
            {
                line.Append(" | ").Append(exception);
            }
            owner._lines.Enqueue(line.ToString());
        }

        private static void Append(StringBuilder line, object? value)
        {
            line.Append(" | ").Append(value);
            if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, item) in pairs)
                {
                    line.Append(' ').Append(key).Append('=').Append(item);
                }
            }
        }
    }
}
