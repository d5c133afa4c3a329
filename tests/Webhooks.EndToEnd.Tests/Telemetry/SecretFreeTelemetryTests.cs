using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>
/// The webhook token is in the URL and works like a password. Logs (at the most verbose level, with scopes) and the
/// spans and log records the ingress exports must never carry it, while still saying which integration a line is about.
/// </summary>
public sealed class SecretFreeTelemetryTests
{
    [Test]
    public async Task Neither_logs_nor_exported_spans_or_log_records_of_a_webhook_contain_its_token()
    {
        var spans = new List<Activity>();
        var exportedLogs = new List<LogRecord>();
        await using var ingress = await StackFixture.StartIngressAsync(EndToEndSetUp.Database.ConnectionString, EndToEndSetUp.VirtualHost.Name, builder =>
        {
            builder.UseSetting("Logging:LogLevel:Default", "Trace");
            // The shipped appsettings.json raises these to Warning; their verbose lines are where a path could leak.
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Trace");
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
            // What the OTLP exporter would be handed, in memory.
            builder.ConfigureServices(services => services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddInMemoryExporter(spans))
                .WithLogging(logging => logging.AddInMemoryExporter(exportedLogs)));
        });
        using var admin = ingress.CreateAdminClient();
        using var webhooks = ingress.CreateClient();
        var seeded = await new AdminClient(admin).SeedLinkedJiraRecordAsync();
        var traceId = ActivityTraceId.CreateRandom();

        var deliveryId = await JiraWebhook.PostCommentCreatedAsync(webhooks, seeded.WebhookPath, $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        // Sent and applied before this ingress stops: a delivery its relay had not sent yet went out with the next test's
        // own, as one batch message (TraceAcrossBrokerTests then found no single-delivery consume span in its trace).
        await EndToEndSetUp.Stack.WaitForOutcomeAsync(deliveryId);
        // A signed integration refusing an unsigned request logs a warning about that integration.
        using (var patch = await admin.PatchAsJsonAsync($"{AdminClient.Prefix}/integrations/{seeded.IntegrationId}", new { signingSecret = "jira-secret-0123456789" }))
        {
            Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using (var unsigned = await webhooks.PostAsync(seeded.WebhookPath, new StringContent("""{"webhookEvent":"comment_created"}""")))
        {
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
        // The request span ends after the answer: wait for it to be exported.
        await Eventually.HoldsAsync("the request span to be exported",
            () => spans.Snapshot().Any(s => s.TraceId == traceId && s.Source.Name == "Microsoft.AspNetCore"), TimeSpan.FromSeconds(10));

        var request = spans.Snapshot().SingleOrDefault(s => s.TraceId == traceId && s.Source.Name == "Microsoft.AspNetCore");
        var records = ingress.Services.GetFakeLogCollector().GetSnapshot();
        var leakingLines = records.Select(TelemetryText.Of).Where(l => l.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase)).ToList();
        var leakingSpans = spans.Snapshot().Select(TelemetryText.Of).Where(s => s.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase)).ToList();
        var exported = exportedLogs.Snapshot().Select(Describe).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(request, Is.Not.Null, "the webhook request span was exported");
            Assert.That(request?.GetTagItem("http.route"), Is.EqualTo("/api/v1/webhooks/{token}"));
            Assert.That(request?.GetTagItem("url.path"), Is.EqualTo(TelemetryExtensions.RedactedWebhookPath), "the path is kept, without the token");
            Assert.That(records.Any(r => r.Level == LogLevel.Debug && r.Category?.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) == true), Is.True,
                "the capture sees ASP.NET Core below the shipped Warning level");
            Assert.That(records.Any(r => r.Message.Contains("Rejected a webhook", StringComparison.Ordinal)
                    && TelemetryText.Of(r).Contains(seeded.IntegrationId.ToString(), StringComparison.Ordinal)),
                Is.True, "the rejection is logged with the integration id in scope:\n" + string.Join("\n", records.TakeLast(30).Select(TelemetryText.Of)));
            Assert.That(exported.Any(l => l.Contains("Rejected a webhook", StringComparison.Ordinal) && l.Contains(seeded.IntegrationId.ToString(), StringComparison.Ordinal)),
                Is.True, "the exported log record carries its scope:\n" + string.Join("\n", exported.TakeLast(10)));
            Assert.That(leakingLines, Is.Empty, "log lines carrying the token");
            Assert.That(leakingSpans, Is.Empty, "exported spans carrying the token");
            Assert.That(exported.Where(l => l.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase)), Is.Empty, "exported log records carrying the token");
        });
    }

    /// <summary>What an OTLP log record holds: category, body, attributes and scopes.</summary>
    private static string Describe(LogRecord record)
    {
        var text = new StringBuilder($"{record.CategoryName} {record.LogLevel} {record.FormattedMessage ?? record.Body}");
        foreach (var (key, value) in record.Attributes ?? [])
        {
            text.Append(' ').Append(key).Append('=').Append(value);
        }
        record.ForEachScope(static (scope, text) =>
        {
            text.Append(" |");
            foreach (var (key, value) in scope)
            {
                text.Append(' ').Append(key).Append('=').Append(value);
            }
        }, text);
        return text.Append(' ').Append(record.Exception).ToString();
    }
}
