using Microsoft.Extensions.Logging;
using Webhooks.Contracts;

namespace Webhooks.Workers.Providers;

/// <summary>Parser logs: the exception's type and where it was thrown, never its message (it may quote the payload).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "The {Provider} parser threw {ExceptionType}; the delivery failed instead of being retried. {StackTrace}")]
    public static partial void ParserThrew(ILogger logger, Provider provider, string exceptionType, string? stackTrace);
}
