using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Console.Tests;

/// <summary>An account whose Jira integration reaches one record linked to issue 10040 (the recorded payloads' issue), made through the admin API.</summary>
public sealed record JiraSeed(Guid AccountId, string AccountName, Guid RunAsUserId, Guid ProductId, Guid IntegrationId, string IntegrationName, string Token, Guid RecordId)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";

    /// <summary>
    /// <see cref="AdminClient.SeedLinkedJiraRecordAsync"/> with names of its own: the pages are checked for the account's,
    /// the run-as user's and the integration's names, which AdminClient's tenant and integration do not let a test choose.
    /// </summary>
    public static async Task<JiraSeed> CreateAsync(AdminClient admin, object? settings = null)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var account = await admin.CreateAccountAsync($"Acme {tag}");
        var accountId = account.GetProperty("id").GetGuid();
        var userId = (await admin.CreateUserAsync(accountId, $"jira-{tag}@example.test", "Jira bot")).GetProperty("id").GetGuid();
        var productId = (await admin.CreateProductAsync(accountId)).GetProperty("id").GetGuid();
        await admin.ExpectAsync(HttpMethod.Put, $"/products/{productId}/members/{userId}", new { role = "owner" }, HttpStatusCode.OK);
        var created = await admin.CreateIntegrationAsync(productId, userId, "jira", settings ?? new { });
        var integrationId = created.GetProperty("id").GetGuid();
        var integration = await admin.PatchIntegrationAsync(integrationId, new { name = $"Jira {tag}" });
        var recordId = await admin.CreateLinkedRecordAsync(productId, integrationId, "10040", "TES-41");
        return new JiraSeed(accountId, account.GetProperty("name").GetString()!, userId, productId, integrationId,
            integration.GetProperty("name").GetString()!, created.GetProperty("token").GetString()!, recordId);
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
