namespace Webhooks.Ingress.Console;

/// <summary>The console's log messages (Razor components cannot hold source-generated ones). Never a key or a token.</summary>
public static partial class ConsoleLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Console sign-in from {RemoteAddress} refused: wrong admin key")]
    public static partial void WrongKey(ILogger logger, string remoteAddress);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Console sign-in from {RemoteAddress} refused: too many wrong keys")]
    public static partial void SignInThrottled(ILogger logger, string remoteAddress);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "Console page {Method} {Path} failed")]
    public static partial void PageFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Console: the error queues are unavailable ({ExceptionType}: {Reason})")]
    public static partial void DeadLettersUnavailable(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Console sign-in from {RemoteAddress}")]
    public static partial void SignedIn(ILogger logger, string remoteAddress);
}
