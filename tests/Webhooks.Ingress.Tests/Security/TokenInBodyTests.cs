using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// Senders echo the callback URL they were given inside their payloads, and that URL carries the webhook token: the one
/// credential of an integration without a secret. Each case is the sender's captured payload with that field set to the
/// integration's own callback URL, as the sender would send it; the token is never stored nor shown.
/// </summary>
public sealed class TokenInBodyTests : IngressFixture
{
    [Test]
    public async Task Trellos_webhook_callbackURL_is_stored_without_the_token()
    {
        const string secret = "trello-app-secret";
        var integration = await App.CreateIntegrationAsync(Provider.Trello, signingSecret: secret);
        var body = WithCallbackUrl(Provider.Trello, "updateCard.moved_to_list.json", integration.CallbackUrl, ["webhook", "callbackURL"]);

        var deliveryId = await PostAsync(integration, body, ("X-Trello-Webhook", SenderSignatures.Trello(secret, body, integration.CallbackUrl)));

        await AssertNotKeptAsync(integration, deliveryId, expectedPlaceholders: 1);
    }

    [Test]
    public async Task Rallys_rule_TargetUrl_and_AppUrl_are_stored_without_the_token()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Rally);
        var body = WithCallbackUrl(Provider.Rally, "investment.created.json", integration.CallbackUrl, ["rule", "TargetUrl"], ["rule", "AppUrl"]);

        var deliveryId = await PostAsync(integration, body);

        await AssertNotKeptAsync(integration, deliveryId, expectedPlaceholders: 2);
    }

    [Test]
    public async Task A_GitHub_pings_hook_url_is_stored_without_the_token()
    {
        const string secret = "github-webhook-secret";
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: secret);
        // The URL as GitHub was given it, the token in capitals: the directory takes a token in any case.
        var callbackUrl = integration.CallbackUrl.Replace(integration.Token, integration.Token.ToUpperInvariant(), StringComparison.Ordinal);
        var body = WithCallbackUrl(Provider.GitHub, "ping.json", callbackUrl, ["hook", "config", "url"]);

        using var response = await SendAsync(integration, body,
            ("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", GitHubSender.Signature(body, secret)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var stored = (await App.DeliveriesOfAsync(integration.Id)).Single();
        Assert.That(stored.Status, Is.EqualTo(Persistence.Model.DeliveryStatus.Handshake));
        await AssertNotKeptAsync(integration, stored.Id, expectedPlaceholders: 1);
    }

    [Test]
    public async Task A_refused_request_keeps_its_body_without_the_token_too()
    {
        // Whoever holds the URL but not the secret: the refused body is kept (its first 16 KiB) for the log, minus the token.
        var integration = await App.CreateIntegrationAsync(Provider.Trello, signingSecret: "trello-app-secret");
        var body = WithCallbackUrl(Provider.Trello, "updateCard.moved_to_list.json", integration.CallbackUrl, ["webhook", "callbackURL"]);

        using var response = await SendAsync(integration, body, ("X-Trello-Webhook", SenderSignatures.Trello("not-the-secret", body, integration.CallbackUrl)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var stored = (await App.DeliveriesOfAsync(integration.Id)).Single();
        Assert.That(stored.Status, Is.EqualTo(Persistence.Model.DeliveryStatus.Rejected));
        await AssertNotKeptAsync(integration, stored.Id, expectedPlaceholders: 1);
    }

    [Test]
    public void A_body_stored_before_the_ingress_redacted_it_is_shown_without_the_token()
    {
        const string token = "0123456789abcdef0123456789ABCDEF";
        var stored = $$"""{"webhook":{"callbackURL":"https:\/\/hooks.example.com\/api\/v1\/webhooks\/{{token}}"},"other":"https://hooks.example.com/api/v1/webhooks/{{token}}?x=1","form":"url=https%3A%2F%2Fhooks.example.com%2Fapi%2Fv1%2Fwebhooks%2F{{token}}","id":"{{token}}"}""";

        var shown = BodyToken.RedactCallbackUrls(stored);

        Assert.That(shown, Does.Not.Contain("webhooks\\/" + token).And.Not.Contain("webhooks/" + token));
        Assert.That(shown, Does.Contain("webhooks\\/[token]").And.Contain("webhooks/[token]?x=1").And.Contain("webhooks%2F[token]"));
        Assert.That(shown, Does.Not.Contain("webhooks%2F" + token));
        Assert.That(shown, Does.Contain($"\"id\":\"{token}\""), "a 32-hex value outside a callback URL is left alone");
    }

    private static byte[] WithCallbackUrl(Provider provider, string fixture, string callbackUrl, params string[][] paths)
    {
        var json = JsonNode.Parse(PayloadFixtures.Read(provider, fixture))!;
        foreach (var path in paths)
        {
            var parent = path[..^1].Aggregate(json, (node, name) => node[name]!);
            Assert.That(parent[path[^1]], Is.Not.Null, $"the captured payload carries {string.Join('.', path)}");
            parent[path[^1]] = callbackUrl;
        }
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private async Task<Guid> PostAsync(SeededIntegration integration, byte[] body, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(integration, body, headers);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deliveryId").GetGuid();
    }

    private async Task<HttpResponseMessage> SendAsync(SeededIntegration integration, byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await Client.SendAsync(request);
    }

    private async Task AssertNotKeptAsync(SeededIntegration integration, Guid deliveryId, int expectedPlaceholders)
    {
        var stored = Encoding.UTF8.GetString((await App.DeliveriesOfAsync(integration.Id)).Single(d => d.Id == deliveryId).Body);
        var (status, shown) = await Admin.SendAsync(HttpMethod.Get, $"/deliveries/{deliveryId}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var shownBody = shown.GetProperty("body").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(stored, Does.Not.Contain(integration.Token).IgnoreCase, "stored");
            Assert.That(shownBody, Does.Not.Contain(integration.Token).IgnoreCase, "shown by the admin API");
            Assert.That(stored.Split(BodyToken.Placeholder).Length - 1, Is.EqualTo(expectedPlaceholders), "each copy replaced, the rest kept");
            Assert.That(() => JsonDocument.Parse(stored).Dispose(), Throws.Nothing, "still the sender's JSON");
        });
    }
}
