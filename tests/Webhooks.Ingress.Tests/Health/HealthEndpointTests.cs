using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Health;

public sealed class HealthEndpointTests
{
    [Test]
    public async Task Live_answers_200_and_ready_reports_database_directory_and_broker()
    {
        await using var app = await IngressFixture.StartAsync();
        using var client = app.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var ready = await client.GetAsync("/health/ready");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        var checks = report.GetProperty("checks");
        Assert.Multiple(() =>
        {
            Assert.That(checks.GetProperty("database").GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(checks.GetProperty("directory").GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(checks.TryGetProperty("broker", out _), Is.True, "the broker is part of readiness");
        });
    }

    [Test]
    public async Task A_flood_of_ready_requests_shares_one_check_a_second()
    {
        // Anyone can ask /health/ready: a report checked per request let a stranger make PostgreSQL run queries at will.
        await using var app = await IngressFixture.StartAsync();
        using var client = app.CreateClient();

        var burst = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => CheckedAtAsync(client)));
        var seen = new List<DateTimeOffset>(burst);
        var until = DateTimeOffset.UtcNow.AddSeconds(2.5);
        while (DateTimeOffset.UtcNow < until)
        {
            seen.Add(await CheckedAtAsync(client));
        }

        var checks = seen.Distinct().Order().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(burst.Distinct().Count(), Is.LessThanOrEqualTo(2), "50 requests at once share a report (two if they straddle its renewal)");
            Assert.That(checks, Has.Count.GreaterThanOrEqualTo(2), "a report older than a second is checked again");
            Assert.That(checks.Zip(checks.Skip(1), (a, b) => b - a), Is.All.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)),
                $"checks started at {string.Join(", ", checks.Select(c => c.ToString("HH:mm:ss.fff")))}");
        });
    }

    private static async Task<DateTimeOffset> CheckedAtAsync(HttpClient client)
    {
        using var ready = await client.GetAsync("/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.Headers.CacheControl?.NoStore, Is.True, "no proxy keeps a readiness answer");
        return (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checkedAt").GetDateTimeOffset();
    }

    [Test]
    public async Task Ready_is_503_when_the_database_is_unreachable()
    {
        await using var app = new IngressApplication(connectionString: "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none;Timeout=2");
        using var client = app.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the process itself is alive");
    }

    [Test]
    public async Task Webhooks_are_503_not_410_before_the_directory_could_load()
    {
        // A 410 makes Trello delete the webhook and Smartsheet disable it: never answer it from an empty directory.
        await using var app = new IngressApplication(connectionString: "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none;Timeout=2");
        using var client = app.CreateClient();

        using var response = await client.PostAsync($"/api/v1/webhooks/{Webhooks.Ingress.Webhook.WebhookToken.New()}", new StringContent("{}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter, Is.Not.Null);
    }
}
