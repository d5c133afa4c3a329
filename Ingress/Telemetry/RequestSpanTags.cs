using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Webhooks.Ingress.Telemetry;

/// <summary>
/// ASP.NET Core 10 puts only the request-start tags (method, scheme, <c>url.path</c>, …) on its request span; the route,
/// the status code and the "METHOD route" span name arrive natively only in ASP.NET Core 11. This wraps the whole
/// pipeline and adds them once the request has been handled, while the span is still open.
/// </summary>
internal sealed class RequestSpanTags : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, handle) =>
        {
            await handle(context);
            if (context.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } activity)
            {
                return;
            }
            var status = context.Response.StatusCode;
            activity.SetTag("http.response.status_code", status);
            if (context.GetEndpoint()?.Metadata.GetMetadata<IRouteDiagnosticsMetadata>()?.Route is { } route)
            {
                activity.SetTag("http.route", route);
                activity.DisplayName = $"{context.Request.Method} {route}";
            }
            if (status >= 500)
            {
                activity.SetTag("error.type", status.ToString(CultureInfo.InvariantCulture));
                activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            }
        });
        next(app);
    };
}
