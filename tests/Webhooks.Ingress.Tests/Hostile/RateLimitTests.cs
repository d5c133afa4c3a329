using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>Per-integration rate limit (Ingress:RateLimit): a noisy integration gets 429 with Retry-After, the others do not notice.</summary>
public sealed class RateLimitTests : IngressFixture
{
    private const int Burst = 5;

    // One permit a second after a burst of five: the bucket cannot refill noticeably while a test runs.
    protected override void Configure(IWebHostBuilder web) => web
        .UseSetting("Ingress:RateLimit:PermitsPerSecond", "1")
        .UseSetting("Ingress:RateLimit:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Test]
    public async Task Integration_past_its_limit_gets_429_with_Retry_After_and_another_is_still_served()
    {
        var noisy = await App.CreateIntegrationAsync(Provider.Jira);
        var quiet = await App.CreateIntegrationAsync(Provider.Jira);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < Burst + 20 && limited is null; i++)
        {
            var response = await Client.PostAsync(noisy.Path, Json());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }
        Assert.That(limited, Is.Not.Null, $"no 429 after {statuses.Count} requests: {string.Join(',', statuses)}");
        using (limited)
        {
            Assert.Multiple(async () =>
            {
                Assert.That(statuses.Take(Burst), Is.All.EqualTo(HttpStatusCode.OK), "the burst is served");
                Assert.That(limited!.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
                Assert.That(await limited.Content.ReadAsStringAsync(), Does.Contain("rate_limited").And.Not.Contain(noisy.Token));
            });
        }

        using var other = await Client.PostAsync(quiet.Path, Json());
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK), "one noisy integration must not starve another");
        var stored = await App.DeliveriesOfAsync(noisy.Id);
        Assert.That(stored, Has.Count.EqualTo(statuses.Count(s => s == HttpStatusCode.OK)), "a 429 stores nothing");
    }

    /// <summary>Regression: the limiter parsed the path, so a trailing slash reached the endpoint unlimited (11,710 requests in 4 s, no 429).</summary>
    [TestCase("{0}/")]
    [TestCase("/API/V1/WEBHOOKS/{1}")]
    [TestCase("/API/v1/webhooks/{1}/")]
    public async Task Any_spelling_that_reaches_the_webhook_endpoint_is_rate_limited_like_the_canonical_path(string spelling)
    {
        using var admin = App.CreateAdminClient();
        var noisy = await new AdminClient(admin).SeedAsync("jira");
        var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, spelling, noisy.WebhookPath, noisy.Token);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Burst + 20 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await Client.PostAsync(path, Json());
            statuses.Add(response.StatusCode);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(statuses.Take(Burst), Is.All.EqualTo(HttpStatusCode.OK), "the spelling reaches the webhook endpoint");
            Assert.That(statuses, Does.Contain(HttpStatusCode.TooManyRequests), $"no 429 after {statuses.Count} requests: {string.Join(',', statuses)}");
            Assert.That(await App.DeliveriesOfAsync(noisy.IntegrationId), Has.Count.EqualTo(statuses.Count(s => s == HttpStatusCode.OK)));
        });
    }

    [Test]
    public async Task Admin_API_and_health_are_never_rate_limited()
    {
        using var admin = App.CreateAdminClient();
        for (var i = 0; i < Burst * 4; i++)
        {
            using var accounts = await admin.GetAsync($"/api/v1/admin/integrations/{Guid.NewGuid()}");
            using var live = await Client.GetAsync("/health/live");
            Assert.Multiple(() =>
            {
                Assert.That(accounts.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
                Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            });
        }
    }

    [Test]
    public async Task Unknown_tokens_are_answered_410_not_429()
    {
        for (var i = 0; i < Burst * 4; i++)
        {
            using var response = await Client.PostAsync($"/api/v1/webhooks/{Webhooks.Ingress.Webhook.WebhookToken.New()}", Json());
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        }
    }

    private static ByteArrayContent Json()
    {
        var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
