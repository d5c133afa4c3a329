using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace Webhooks.EndToEnd.Tests.Telemetry;

/// <summary>
/// The webhook token is in the URL and works like a password. Logs (at the most verbose level, with scopes) and the
/// spans the ingress exports must never carry it, while still saying which integration a line is about.
/// </summary>
public sealed class SecretFreeTelemetryTests
{
    [Test]
    public async Task Neither_logs_nor_exported_spans_of_a_webhook_contain_its_token()
    {
        var logs = new CapturedLogs();
        var exporter = new CollectingExporter();
        await using var ingress = new IngressHost(EndToEndSetUp.Database.ConnectionString, EndToEndSetUp.VirtualHost.Name, builder =>
        {
            builder.UseSetting("Logging:LogLevel:Default", "Trace");
            // The shipped appsettings.json raises these to Warning; their verbose lines are where a path could leak.
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Trace");
            builder.ConfigureLogging(logging => logging.AddProvider(logs));
            builder.ConfigureServices(services => services.AddSingleton<BaseProcessor<Activity>>(new SimpleActivityExportProcessor(exporter)));
        });
        using var admin = ingress.CreateAdminClient();
        using var webhooks = ingress.CreateClient();
        await ingress.StartAsync();
        var seeded = await new StackAdmin(admin).SeedLinkedJiraRecordAsync();
        var traceId = ActivityTraceId.CreateRandom();

        await JiraWebhook.PostCommentCreatedAsync(webhooks, seeded.WebhookPath, $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        // A signed integration refusing an unsigned request logs a warning about that integration.
        using (var patch = await admin.PatchAsJsonAsync($"{StackAdmin.Prefix}/integrations/{seeded.IntegrationId}", new { signingSecret = "jira-secret-0123456789" }))
        {
            Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using (var unsigned = await webhooks.PostAsync(seeded.WebhookPath, new StringContent("""{"webhookEvent":"comment_created"}""")))
        {
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
        // The request span ends after the answer: wait for it to be exported.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!exporter.Exported.Any(s => s.TraceId == traceId && s.Source == "Microsoft.AspNetCore") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var request = exporter.Exported.SingleOrDefault(s => s.TraceId == traceId && s.Source == "Microsoft.AspNetCore");
        var leakingLines = logs.Lines.Where(l => l.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase)).ToList();
        var leakingSpans = exporter.Exported
            .Where(s => s.Name.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase)
                        || s.Tags.Values.Any(v => v?.Contains(seeded.Token, StringComparison.OrdinalIgnoreCase) == true))
            .Select(s => $"{s.Source} '{s.Name}' {string.Join(", ", s.Tags)}")
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(request.Tags, Is.Not.Null, "the webhook request span was exported");
            Assert.That(request.Tags?.GetValueOrDefault("http.route"), Is.EqualTo("/api/v1/webhooks/{token}"));
            Assert.That(request.Tags?.GetValueOrDefault("url.path"), Is.EqualTo("/api/v1/webhooks/{token}"), "the path is kept, without the token");
            Assert.That(logs.Lines.Any(l => l.StartsWith("Debug Microsoft.AspNetCore.", StringComparison.Ordinal)), Is.True,
                "the capture sees ASP.NET Core below the shipped Warning level");
            Assert.That(logs.Lines.Any(l => l.Contains("Rejected a webhook", StringComparison.Ordinal) && l.Contains(seeded.IntegrationId.ToString(), StringComparison.Ordinal)),
                Is.True, "the rejection is logged with the integration id in scope:\n" + string.Join("\n", logs.Lines.TakeLast(30)));
            Assert.That(leakingLines, Is.Empty, "log lines carrying the token");
            Assert.That(leakingSpans, Is.Empty, "exported spans carrying the token");
        });
    }
}
