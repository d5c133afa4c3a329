using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Console.Tests;

/// <summary>An account whose Jira integration reaches one record linked to issue 10040 (the recorded payloads' issue), made through the admin API.</summary>
public sealed record JiraSeed(Guid AccountId, string AccountName, Guid IntegrationId, string IntegrationName, string Token, Guid RecordId)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";

    public static async Task<JiraSeed> CreateAsync(Func<HttpMethod, string, object?, HttpStatusCode, Task<JsonElement>> admin, object? settings = null)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var accountName = $"Acme {tag}";
        var accountId = (await admin(HttpMethod.Post, "/accounts", new { name = accountName }, HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var userId = (await admin(HttpMethod.Post, $"/accounts/{accountId}/users", new { name = "Jira bot", email = $"jira-{tag}@example.test" }, HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        var productId = (await admin(HttpMethod.Post, $"/accounts/{accountId}/products", new { key = "APP", name = "App" }, HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await admin(HttpMethod.Put, $"/products/{productId}/members/{userId}", new { role = "owner" }, HttpStatusCode.OK);
        var integrationName = $"Jira {tag}";
        var integration = await admin(HttpMethod.Post, "/integrations",
            new { productId, provider = "jira", version = 1, name = integrationName, runAsUserId = userId, settings = settings ?? new { } }, HttpStatusCode.Created);
        var integrationId = integration.GetProperty("id").GetGuid();
        var recordId = (await admin(HttpMethod.Post, $"/products/{productId}/records", new { kind = "feature", name = "Login page", status = "new" }, HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        await admin(HttpMethod.Post, $"/records/{recordId}/links", new { integrationId, externalId = "10040", externalKey = "TES-41" }, HttpStatusCode.Created);
        return new JiraSeed(accountId, accountName, integrationId, integrationName, integration.GetProperty("token").GetString()!, recordId);
    }

    /// <summary>Posts a recorded Jira payload as Jira does, with its own webhook identifier; returns the delivery id from the 200.</summary>
    public async Task<Guid> SendAsync(HttpClient senders, string fixture, string? webhookIdentifier = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookPath) { Content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, fixture)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd("Atlassian-HttpClient/1.0");
        request.Headers.TryAddWithoutValidation("X-Atlassian-Webhook-Identifier", webhookIdentifier ?? Guid.NewGuid().ToString("N"));
        using var response = await senders.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.GetProperty("deliveryId").GetGuid();
    }
}
