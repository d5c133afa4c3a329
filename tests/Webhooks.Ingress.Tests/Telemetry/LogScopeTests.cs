using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Telemetry;

/// <summary>What the ingress logs about a webhook names the integration and provider it came to (never the token).</summary>
[NonParallelizable]
public sealed class LogScopeTests
{
    [Test]
    public async Task A_refused_webhook_is_logged_in_the_scope_of_its_integration_and_provider()
    {
        await using var app = await IngressFixture.StartAsync(configure: web => web.ConfigureLogging(logging => logging.AddFakeLogging()));
        using var adminHttp = app.CreateAdminClient();
        var seeded = await new AdminClient(adminHttp).SeedAsync(provider: "github", signingSecret: "log-scope-secret-5e1b");
        using var client = app.CreateClient();

        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, seeded.WebhookPath) { Content = content };
        request.Headers.Add("X-GitHub-Event", "issues");
        request.Headers.Add("X-Hub-Signature-256", GitHubSender.Signature(body, "another-secret"));
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var rejected = app.Services.GetFakeLogCollector().GetSnapshot().Single(r => r.Id.Name == "Rejected");
        var scope = rejected.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().SelectMany(items => items)
            .ToDictionary(item => item.Key, item => item.Value?.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(scope.GetValueOrDefault("IntegrationId"), Is.EqualTo(seeded.IntegrationId.ToString()));
            Assert.That(scope.GetValueOrDefault("Provider"), Is.EqualTo("github"));
            Assert.That(string.Join(' ', scope.Values), Does.Not.Contain(seeded.Token));
        });
    }
}
