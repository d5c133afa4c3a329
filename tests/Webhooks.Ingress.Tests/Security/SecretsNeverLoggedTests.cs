using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// Tokens, signing secrets, API tokens, signatures and the admin key never reach logs (any level), traces, error bodies or
/// the delivery log. Everything the host emits is captured while a sender and an operator do their usual things.
/// </summary>
[NonParallelizable]
public sealed class SecretsNeverLoggedTests
{
    [Test]
    public async Task No_token_secret_signature_or_admin_key_appears_in_logs_traces_answers_or_the_delivery_log()
    {
        var spans = new List<Activity>();
        await using var app = await IngressFixture.StartAsync(configure: web =>
        {
            // The shipped appsettings.json raises these categories to Warning; their Debug and Trace lines are where
            // a path, header or query could leak, so this test lowers them again (the code's own filters still apply).
            web.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            web.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Trace");
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
            // The ingress's own tracing pipeline (its token redaction included), widened to every activity source.
            web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource("*").AddInMemoryExporter(spans)));
        });
        using var client = app.CreateClient();
        using var adminHttp = app.CreateAdminClient();
        var admin = new AdminClient(adminHttp);

        var secrets = new List<string> { IngressApplication.AdminKey };
        var answers = new StringBuilder();

        // An operator creates integrations with secrets and an API token, changes the secret and rotates the token.
        const string gitHubSecret = "never-logged-github-secret-7f3a";
        const string apiToken = "never-logged-api-token-91c2";
        const string patchedSecret = "never-logged-patched-secret-44d1";
        var seeded = await admin.SeedAsync(provider: "github", settings: new { apiToken });
        secrets.AddRange([gitHubSecret, apiToken, patchedSecret, seeded.Token]);
        // The create answer carries the token by design (shown once); never the API token.
        Assert.That(seeded.Created.GetRawText(), Does.Not.Contain(apiToken));
        await Expect(admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { signingSecret = gitHubSecret }), HttpStatusCode.OK);

        // A sender posts signed, wrongly signed, duplicated and unsigned deliveries.
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        var signature = GitHubSender.Signature(body, gitHubSecret);
        secrets.Add(signature["sha256=".Length..]);
        await Post(seeded.WebhookPath, body, ("X-Hub-Signature-256", signature), ("X-GitHub-Delivery", Guid.NewGuid().ToString()));
        await Post(seeded.WebhookPath, PayloadFixtures.Read(Provider.GitHub, "issues.closed.json"), ("X-Hub-Signature-256", signature));
        await Post(seeded.WebhookPath, body);
        var wrong = GitHubSender.Signature(body, "some-other-secret-guess-0b9e");
        secrets.Add(wrong["sha256=".Length..]);
        await Post(seeded.WebhookPath, body, ("X-Hub-Signature-256", wrong));

        await Expect(admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { signingSecret = patchedSecret }), HttpStatusCode.OK);
        // A secret added beside it (a rotation without refused deliveries), and one refused in the wrong form.
        const string addedSecret = "never-logged-added-secret-3c9b";
        const string refusedAddedSecret = "never-logged-refused-added-secret-8e20";
        secrets.AddRange([addedSecret, refusedAddedSecret]);
        using (var added = await admin.PostAsync($"/integrations/{seeded.IntegrationId}/secrets", new { secret = addedSecret }))
        {
            answers.Append(await added.Content.ReadAsStringAsync());
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        await Post(seeded.WebhookPath, body, ("X-Hub-Signature-256", GitHubSender.Signature(body, addedSecret)));
        secrets.Add(GitHubSender.Signature(body, addedSecret)["sha256=".Length..]);
        var rotated = await AdminClient.ExpectAsync(await admin.PostAsync($"/integrations/{seeded.IntegrationId}/token", new { }), HttpStatusCode.OK);
        var newToken = rotated.GetProperty("token").GetString()!;
        secrets.Add(newToken);
        await Post($"/api/v1/webhooks/{seeded.Token}", body, ("X-Hub-Signature-256", GitHubSender.Signature(body, patchedSecret)));
        await Post($"/api/v1/webhooks/{newToken}", body, ("X-Hub-Signature-256", GitHubSender.Signature(body, patchedSecret)));
        secrets.Add(GitHubSender.Signature(body, patchedSecret)["sha256=".Length..]);

        // Asana hands over its secret in a handshake; Smartsheet its challenge.
        var asana = await admin.SeedAsync(provider: "asana");
        secrets.Add(asana.Token);
        const string asanaSecret = "never-logged-asana-hook-secret-5e77";
        secrets.Add(asanaSecret);
        await Post(asana.WebhookPath, "{}"u8.ToArray(), ("X-Hook-Secret", asanaSecret));
        var asanaBody = PayloadFixtures.Read(Provider.Asana, "task_changed.json");
        var asanaSignature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(asanaSecret), asanaBody));
        secrets.Add(asanaSignature);
        await Post(asana.WebhookPath, asanaBody, ("X-Hook-Signature", asanaSignature));

        // A Standard Webhooks sender: signed, stale, wrongly signed; its secret refused in the wrong form, then rotated.
        var standard = await admin.SeedAsync(provider: "standard");
        secrets.Add(standard.Token);
        var standardSecret = StandardSender.NewSecret();
        var rotatedStandardSecret = StandardSender.NewSecret();
        const string refusedStandardSecret = "never-logged-not-a-whsec-secret-6a1f";
        secrets.AddRange([standardSecret, rotatedStandardSecret, refusedStandardSecret]);
        using (var refused = await admin.PatchAsync($"/integrations/{standard.IntegrationId}", new { signingSecret = refusedStandardSecret }))
        {
            answers.Append(await refused.Content.ReadAsStringAsync());
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }
        await Expect(admin.PatchAsync($"/integrations/{standard.IntegrationId}", new { signingSecret = standardSecret }), HttpStatusCode.OK);
        var standardBody = PayloadFixtures.Read(Provider.Standard, "contact.created.json");
        foreach (var (secret, at) in new[] { (standardSecret, DateTimeOffset.UtcNow), (standardSecret, DateTimeOffset.UtcNow.AddHours(-1)), (StandardSender.NewSecret(), DateTimeOffset.UtcNow) })
        {
            var headers = StandardSender.Headers(secret, $"msg_{Guid.NewGuid():N}", at, standardBody);
            secrets.Add(headers[2].Value["v1,".Length..]);
            await Post(standard.WebhookPath, standardBody, headers);
        }
        await Expect(admin.PatchAsync($"/integrations/{standard.IntegrationId}", new { signingSecret = rotatedStandardSecret }), HttpStatusCode.OK);
        using (var refused = await admin.PostAsync($"/integrations/{standard.IntegrationId}/secrets", new { secret = refusedAddedSecret }))
        {
            answers.Append(await refused.Content.ReadAsStringAsync());
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        // Unknown and wrong admin keys are refused without echoing them.
        const string wrongAdminKey = "never-logged-wrong-admin-key-d00d";
        secrets.Add(wrongAdminKey);
        using (var wrongAdmin = app.CreateClient())
        {
            wrongAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", wrongAdminKey);
            using var refused = await wrongAdmin.GetAsync($"/api/v1/admin/integrations/{seeded.IntegrationId}");
            answers.Append(await refused.Content.ReadAsStringAsync());
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        // The delivery log, through the admin API and in the table.
        using (var log = await adminHttp.GetAsync($"/api/v1/admin/integrations/{seeded.IntegrationId}/deliveries"))
        {
            answers.Append(await log.Content.ReadAsStringAsync());
        }
        using (var integration = await adminHttp.GetAsync($"/api/v1/admin/integrations/{seeded.IntegrationId}"))
        {
            answers.Append(await integration.Content.ReadAsStringAsync());
        }
        using (var integration = await adminHttp.GetAsync($"/api/v1/admin/integrations/{standard.IntegrationId}"))
        {
            answers.Append(await integration.Content.ReadAsStringAsync());
        }
        await using (var db = app.CreateDbContext())
        {
            foreach (var delivery in await db.Deliveries.AsNoTracking()
                .Where(d => d.IntegrationId == seeded.IntegrationId || d.IntegrationId == asana.IntegrationId || d.IntegrationId == standard.IntegrationId).ToListAsync())
            {
                answers.Append(delivery.Headers).Append(delivery.LastError);
            }
        }

        // What the host logs after answering is in the capture once the relay has sent every delivery it accepted.
        await Eventually.HoldsAsync("the relay to send every accepted delivery", async () =>
        {
            await using var db = app.CreateDbContext();
            var ids = await db.Deliveries.Where(d => d.IntegrationId == seeded.IntegrationId || d.IntegrationId == asana.IntegrationId
                || d.IntegrationId == standard.IntegrationId).Select(d => d.Id).ToListAsync();
            return !await db.Outbox.SelectMany(o => o.DeliveryIds).AnyAsync(id => ids.Contains(id));
        });
        var records = app.Services.GetFakeLogCollector().GetSnapshot();
        var exported = spans.Snapshot();
        var lines = records.Select(TelemetryText.Of).Concat(exported.Select(TelemetryText.Of)).ToList();
        Assert.That(records, Has.Count.GreaterThan(20), "the capture must see the host's logs");
        Assert.That(records.Any(r => r.Level == LogLevel.Debug && r.Category?.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) == true), Is.True,
            "the capture must see ASP.NET Core below the shipped Warning level (routing, Kestrel, auth: where a path or header could leak)");
        Assert.That(records.Any(r => r.Level == LogLevel.Debug && r.Category?.StartsWith("Microsoft.EntityFrameworkCore.", StringComparison.Ordinal) == true), Is.True,
            "the capture must see EF Core's command logs below the shipped Warning level");
        Assert.That(records.Any(r => r.Scopes.Count > 0), Is.True, "the capture must see the scopes lines are written in");
        Assert.That(exported.Select(s => s.Source.Name).Distinct(), Is.SupersetOf(new[] { "Microsoft.AspNetCore", "Npgsql", "MassTransit" }),
            "the exporter must see the host's request, SQL and bus spans");
        var everything = string.Join('\n', lines) + '\n' + answers;
        Assert.Multiple(() =>
        {
            foreach (var secret in secrets)
            {
                var where = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
                Assert.That(everything.Contains(secret, StringComparison.OrdinalIgnoreCase), Is.False,
                    $"'{secret[..6]}…' leaked: {where ?? "in an answer or the delivery log"}");
            }
        });

        async Task Post(string path, byte[] payload, params (string Name, string Value)[] headers)
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            request.Headers.TryAddWithoutValidation("X-GitHub-Event", "issues");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await client.SendAsync(request);
            answers.Append(await response.Content.ReadAsStringAsync());
            foreach (var header in response.Headers.Where(h => h.Key != "X-Hook-Secret"))
            {
                answers.Append(header.Key).Append(string.Join(',', header.Value));
            }
        }
    }

    private static async Task Expect(Task<HttpResponseMessage> call, HttpStatusCode status) => await AdminClient.ExpectAsync(await call, status);
}
