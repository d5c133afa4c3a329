using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests.Webhook;

public sealed class WebhookEndpointTests
{
    private IngressApplication _app = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _app = new IngressApplication();
        _client = _app.CreateClient();
        await _app.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Test]
    public async Task Stored_payload_is_answered_200_with_its_delivery_id_and_kept_byte_for_byte()
    {
        var integration = await _app.CreateIntegrationAsync(Provider.Jira);
        var payload = PayloadFixtures.Read(Provider.Jira, "comment_created.json");
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.Add("X-Atlassian-Webhook-Identifier", "jira-delivery-1");

        using var response = await _client.PostAsync(integration.Path, content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("accepted"));
        var deliveryId = answer.GetProperty("deliveryId").GetGuid();
        var delivery = (await _app.DeliveriesOfAsync(integration.Id)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Id, Is.EqualTo(deliveryId));
            Assert.That(delivery.Body, Is.EqualTo(payload));
            Assert.That(delivery.Provider, Is.EqualTo(Provider.Jira));
            Assert.That(delivery.SourceDeliveryId, Is.EqualTo("jira-delivery-1"));
            Assert.That(delivery.Status, Is.AnyOf(DeliveryStatus.Accepted, DeliveryStatus.Queued));
            Assert.That(delivery.SignatureVerified, Is.False, "no secret configured: recorded as unverified");
        });
    }

    [Test]
    public async Task Unknown_token_answers_410_and_stores_nothing()
    {
        using var response = await _client.PostAsync($"/api/v1/webhooks/{Webhooks.Ingress.Webhook.WebhookToken.New()}", Json("{}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("error").GetString(), Is.EqualTo("gone"));
    }
}
