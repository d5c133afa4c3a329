using System.Diagnostics;
using OpenTelemetry;

namespace Webhooks.Ingress.Telemetry;

/// <summary>
/// The webhook token is the URL path's last segment and works like a password: request spans keep the route
/// (<c>http.route</c> = <c>/api/v1/webhooks/{token}</c>) but their <c>url.path</c> loses the token before any exporter sees it.
/// </summary>
internal sealed class WebhookTokenRedaction : BaseProcessor<Activity>
{
    private const string WebhookPrefix = "/api/v1/webhooks/";
    private const string Redacted = WebhookPrefix + "{token}";

    public override void OnEnd(Activity data)
    {
        if (data.GetTagItem("url.path") is string path && path.StartsWith(WebhookPrefix, StringComparison.OrdinalIgnoreCase))
        {
            data.SetTag("url.path", Redacted);
        }
        if (data.DisplayName.Contains(WebhookPrefix, StringComparison.OrdinalIgnoreCase) && !data.DisplayName.EndsWith(Redacted, StringComparison.Ordinal))
        {
            data.DisplayName = $"{data.GetTagItem("http.request.method")} {Redacted}";
        }
    }
}
