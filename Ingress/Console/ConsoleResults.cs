using Microsoft.AspNetCore.Http.HttpResults;
using Webhooks.Ingress.Admin;

namespace Webhooks.Ingress.Console;

/// <summary>
/// What the admin API would have answered, shown on a page instead: its status on the response, its detail in a notice.
/// The pages call the admin API's own handlers, so they get the same problems back.
/// </summary>
public static class ConsoleResults
{
    /// <summary>The problem a handler answered, or null when it succeeded; sets the response's status to the problem's.</summary>
    public static string? Problem(IResult result, HttpContext context)
    {
        switch (result)
        {
            case ProblemHttpResult problem:
                SetStatus(context, problem.StatusCode);
                return problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title;
            case ValidationProblem validation:
                SetStatus(context, StatusCodes.Status400BadRequest);
                return string.Join(" ", validation.ProblemDetails.Errors.SelectMany(e => e.Value));
            default:
                return null;
        }
    }

    /// <summary>
    /// Sets the answer's status. Static rendering sends a page that set 404 itself without its body (.NET 10's endpoint
    /// invoker keeps a 404 body for the Router's not-found page), so a 404 is applied as the response starts, once the
    /// page that says what was not found is rendered.
    /// </summary>
    public static void SetStatus(HttpContext context, int status)
    {
        if (status != StatusCodes.Status404NotFound)
        {
            context.Response.StatusCode = status;
            return;
        }
        context.Response.OnStarting(() =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
    }

    /// <summary>A field the page parses itself (the admin API's binding would have answered 400 naming it).</summary>
    public static string Invalid(HttpContext context, string field, string message)
    {
        SetStatus(context, StatusCodes.Status400BadRequest);
        return $"{field}: {message}";
    }

    /// <summary>
    /// The 503 the dead-letter endpoints answer, as a notice. What to check is logged, never shown (it names hosts and
    /// users); whatever the pass held unacked went back to its queue with the connection.
    /// </summary>
    public static string BrokerUnavailable(HttpContext context, Exception exception)
    {
        ConsoleLog.DeadLettersUnavailable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleResults).FullName!),
            exception.GetType().Name, exception.Message);
        SetStatus(context, StatusCodes.Status503ServiceUnavailable);
        return DeadLetterAccess.UnavailableDetail;
    }
}
