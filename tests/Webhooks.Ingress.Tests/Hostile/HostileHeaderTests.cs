using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>Signature headers an attacker may play with, and a replayed delivery. Oversized headers: KestrelLimitsTests.</summary>
public sealed class HostileHeaderTests : IngressFixture
{
    private const string Secret = "hostile-header-secret";

    [TestCase(Provider.GitHub, "X-Hub-Signature-256", "sha256=")]
    [TestCase(Provider.Jira, "X-Hub-Signature", "sha256=")]
    [TestCase(Provider.Smartsheet, "Smartsheet-Hmac-SHA256", "")]
    [TestCase(Provider.Asana, "X-Hook-Signature", "")]
    public async Task Duplicated_signature_header_verifies_by_neither_value(Provider provider, string header, string prefix)
    {
        var integration = await App.CreateIntegrationAsync(provider, signingSecret: Secret);
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        var valid = prefix + GitHubSender.Signature(body, Secret)["sha256=".Length..];

        foreach (var second in new[] { valid, prefix + new string('0', 64), "", " " })
        {
            using var request = Request(integration, body);
            request.Headers.TryAddWithoutValidation(header, [valid, second]);
            using var response = await Client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"{header}: [valid, '{second}']");
        }
        using var single = Request(integration, body);
        single.Headers.TryAddWithoutValidation(header, valid);
        using var accepted = await Client.SendAsync(single);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same value alone verifies");
    }

    [Test]
    public async Task Signature_made_for_another_body_is_401_and_recorded_as_rejected()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);
        var signed = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        var sent = PayloadFixtures.Read(Provider.GitHub, "issues.closed.json");
        using var request = Request(integration, sent);
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", GitHubSender.Signature(signed, Secret));
        using var response = await Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Select(d => d.Status), Is.EqualTo(new[] { DeliveryStatus.Rejected }));
    }

    [Test]
    public async Task Signature_with_another_secret_is_401()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        using var request = Request(integration, body);
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", GitHubSender.Signature(body, "guessed-secret"));
        using var response = await Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    /// <summary>
    /// A replay (or the sender's own retry) is stored again with the same source delivery id; the workers record the
    /// second as duplicate and apply nothing twice (Workers tests: the dedup rule in docs/architecture.md).
    /// </summary>
    [TestCase(Provider.GitHub, "X-GitHub-Delivery")]
    [TestCase(Provider.Jira, "X-Atlassian-Webhook-Identifier")]
    public async Task Replayed_delivery_is_stored_again_under_the_same_source_delivery_id(Provider provider, string idHeader)
    {
        var integration = await App.CreateIntegrationAsync(provider, signingSecret: Secret);
        var body = provider == Provider.GitHub ? PayloadFixtures.Read(Provider.GitHub, "issue_comment.created.json") : PayloadFixtures.Read(Provider.Jira, "comment_created.json");
        var signatureHeader = provider == Provider.GitHub ? "X-Hub-Signature-256" : "X-Hub-Signature";
        var sourceId = Guid.NewGuid().ToString();
        for (var i = 0; i < 2; i++)
        {
            using var request = Request(integration, body);
            request.Headers.TryAddWithoutValidation(signatureHeader, GitHubSender.Signature(body, Secret));
            request.Headers.TryAddWithoutValidation(idHeader, sourceId);
            using var response = await Client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var stored = await App.DeliveriesOfAsync(integration.Id);
        Assert.That(stored.Select(d => d.SourceDeliveryId), Is.EqualTo(new[] { sourceId, sourceId }));
    }

    [Test]
    public async Task Kept_headers_never_include_the_signature()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        var signature = GitHubSender.Signature(body, Secret);
        using var request = Request(integration, body);
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        using var response = await Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var stored = (await App.DeliveriesOfAsync(integration.Id)).Single();
        Assert.That(stored.Headers, Does.Not.Contain(signature[7..]).And.Not.Contain("Signature"));
    }

    private static HttpRequestMessage Request(SeededIntegration integration, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-GitHub-Event", "issues");
        return request;
    }
}
