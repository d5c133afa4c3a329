using System.Globalization;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// What an admin call that fails unexpectedly answers: a problem body with the request's <c>traceId</c> (to find its
/// log lines and spans), never the exception's message, SQL or connection details. PostgreSQL unreachable (after the
/// <see cref="AdminExecutionStrategy"/> retries) is 503 with Retry-After; anything else is 500.
/// </summary>
public sealed partial class AdminExceptionHandler(IProblemDetailsService problems, IOptions<IngressOptions> options, ILogger<AdminExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var unavailable = IsDatabaseUnavailable(exception);
        var endpoint = httpContext.GetEndpoint()?.DisplayName ?? "unmatched";
        if (unavailable)
        {
            Log.DatabaseUnavailable(logger, httpContext.Request.Method, endpoint, Describe(exception));
        }
        else
        {
            // The stack is what finds a bug; the answer carries none of it.
            Log.Failed(logger, exception, httpContext.Request.Method, endpoint, Describe(exception));
        }
        var response = httpContext.Response;
        response.StatusCode = unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
        if (unavailable)
        {
            response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = unavailable
                ? new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Database unavailable",
                    Detail = "The database could not be reached; retry the call later.",
                }
                : new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Internal error",
                    Detail = "The call failed unexpectedly. Its traceId finds it in the logs.",
                },
        });
    }

    /// <summary>A connection that could not be made or was lost, or PostgreSQL shutting down or starting.</summary>
    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RetryLimitExceededException or TimeoutException or SocketException
                || e is NpgsqlException { IsTransient: true }
                || (e is PostgresException postgres && AdminExecutionStrategy.ShutdownErrorCodes.Contains(postgres.SqlState)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The exception types down the chain, and a PostgreSQL error's SQLSTATE: enough to diagnose, nothing an operator sent.</summary>
    private static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            parts.Add(e is PostgresException postgres ? $"{e.GetType().Name} {postgres.SqlState}" : e.GetType().Name);
        }
        return string.Join(" → ", parts);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Admin call {Method} {Endpoint} answered 503: the database is unreachable ({Exceptions})")]
        public static partial void DatabaseUnavailable(ILogger logger, string method, string endpoint, string exceptions);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Admin call {Method} {Endpoint} failed ({Exceptions})")]
        public static partial void Failed(ILogger logger, Exception exception, string method, string endpoint, string exceptions);
    }
}
