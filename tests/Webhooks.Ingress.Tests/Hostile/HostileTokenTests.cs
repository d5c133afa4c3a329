using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>
/// Tokens an attacker may try. Rotation and disabled integrations/accounts are covered in
/// Admin/IntegrationsApiTests.Rotated_token_answers_410_and_the_new_one_200 and Webhook/WebhookEndpointTests.
/// </summary>
[NonParallelizable]
public sealed class HostileTokenTests : IngressFixture
{
    private readonly List<Activity> _spans = [];

    protected override void Configure(IWebHostBuilder web)
    {
        // The directory polls rarely here, so database commands during the flood are not the poll's.
        web.UseSetting("Ingress:DirectoryRefreshInterval", "00:00:10");
        // Every SQL command is an Npgsql span: the flood test counts them.
        web.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(_spans)));
    }

    [TestCase(33)]
    [TestCase(4096)]
    public async Task Token_that_is_too_long_answers_410_and_stores_nothing(int length)
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var longer = integration.Token + new string('a', length - integration.Token.Length);
        using var response = await Client.PostAsync($"/api/v1/webhooks/{longer}", Json());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Is.Empty);
    }

    [TestCase("..%2F..%2F..%2Fetc%2Fpasswd%2F%2F%2F%2F%2F%2F%2F%2F%2F")]
    [TestCase("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    [TestCase("%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE%E2%80%AE")]
    public async Task Malformed_or_encoded_token_answers_410(string token)
    {
        using var response = await Client.PostAsync($"/api/v1/webhooks/{token}", Json());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }

    [Test]
    public async Task Token_differing_only_in_case_is_the_same_token()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        using var response = await Client.PostAsync($"/api/v1/webhooks/{integration.Token.ToUpperInvariant()}", Json());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Flood_of_random_valid_looking_tokens_is_answered_410_from_memory_without_a_query_each()
    {
        const int Requests = 600;
        int Commands() => _spans.Snapshot().Count(span => span.Source.Name == "Npgsql");

        // The exporter sees commands: prove it by one query of our own through the application's data source.
        var beforeRefresh = Commands();
        await App.Services.GetRequiredService<IntegrationsByToken>().RefreshAsync(CancellationToken.None);
        Assert.That(Commands(), Is.GreaterThan(beforeRefresh), "the in-memory exporter must see the application's commands");

        var before = Commands();
        var statuses = new HttpStatusCode[Requests];
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellationToken) =>
        {
            using var response = await Client.PostAsync($"/api/v1/webhooks/{WebhookToken.New()}", Json(), cancellationToken);
            statuses[i] = response.StatusCode;
        });
        var during = Commands() - before;

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Gone));
            // The outbox relay's sweeps run meanwhile; a query per request would be 600 or more.
            Assert.That(during, Is.LessThan(Requests / 10), $"{during} database commands for {Requests} unknown tokens");
        });
    }

    private static ByteArrayContent Json()
    {
        var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
