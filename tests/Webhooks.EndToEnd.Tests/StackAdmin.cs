using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.EndToEnd.Tests;

/// <summary>The admin API as an operator calls it; each helper fails the test unless the resource was made.</summary>
public sealed class StackAdmin(HttpClient http)
{
    public const string Prefix = "/api/v1/admin";

    public HttpClient Http => http;

    /// <summary>
    /// Account → run-as user (owner of the product) → product → Jira integration → a record linked to Jira issue
    /// 10040 (the issue of the recorded comment_created.json), all through the admin API.
    /// </summary>
    public async Task<LinkedJiraRecord> SeedLinkedJiraRecordAsync()
    {
        var account = await CreateAsync("/accounts", new { name = $"Account {Guid.NewGuid():N}" });
        var accountId = account.GetProperty("id").GetGuid();
        var user = await CreateAsync($"/accounts/{accountId}/users", new { name = "Jira bot", email = $"{Guid.NewGuid():N}@example.test" });
        var userId = user.GetProperty("id").GetGuid();
        var product = await CreateAsync($"/accounts/{accountId}/products", new { key = "APP", name = "App" });
        var productId = product.GetProperty("id").GetGuid();
        await ExpectAsync(await http.PutAsJsonAsync($"{Prefix}/products/{productId}/members/{userId}", new { role = "owner" }), HttpStatusCode.OK);
        var integration = await CreateAsync("/integrations", new { productId, provider = "jira", version = 1, name = "Jira", runAsUserId = userId });
        var integrationId = integration.GetProperty("id").GetGuid();
        var record = await CreateAsync($"/products/{productId}/records", new { kind = "feature", name = "Login page", description = "As a user…", status = "new" });
        var recordId = record.GetProperty("id").GetGuid();
        await CreateAsync($"/records/{recordId}/links", new { integrationId, externalId = "10040", externalKey = "TES-41" });
        return new LinkedJiraRecord(userId, integrationId, integration.GetProperty("token").GetString()!, recordId);
    }

    /// <summary>
    /// Account → run-as user (owner of the product) → product → an integration of <paramref name="provider"/> with
    /// <paramref name="settings"/> → a record linked to the sender's item <paramref name="externalId"/>, all through the admin API.
    /// </summary>
    public async Task<LinkedRecord> SeedLinkedRecordAsync(string provider, string externalId, object settings)
    {
        var account = await CreateAsync("/accounts", new { name = $"Account {Guid.NewGuid():N}" });
        var accountId = account.GetProperty("id").GetGuid();
        var user = await CreateAsync($"/accounts/{accountId}/users", new { name = $"{provider} bot", email = $"{Guid.NewGuid():N}@example.test" });
        var userId = user.GetProperty("id").GetGuid();
        var product = await CreateAsync($"/accounts/{accountId}/products", new { key = "APP", name = "App" });
        var productId = product.GetProperty("id").GetGuid();
        await ExpectAsync(await http.PutAsJsonAsync($"{Prefix}/products/{productId}/members/{userId}", new { role = "owner" }), HttpStatusCode.OK);
        var integration = await CreateAsync("/integrations", new { productId, provider, version = 1, name = provider, runAsUserId = userId, settings });
        var integrationId = integration.GetProperty("id").GetGuid();
        var record = await CreateAsync($"/products/{productId}/records", new { kind = "feature", name = "Login page", description = "As a user…", status = "new" });
        var recordId = record.GetProperty("id").GetGuid();
        await CreateAsync($"/records/{recordId}/links", new { integrationId, externalId });
        return new LinkedRecord(userId, integrationId, integration.GetProperty("token").GetString()!, recordId, productId);
    }

    /// <summary>Another record in the seeded product, linked to the sender's item <paramref name="externalId"/> through the same integration.</summary>
    public async Task<Guid> LinkAnotherRecordAsync(LinkedRecord seeded, string externalId)
    {
        var record = await CreateAsync($"/products/{seeded.ProductId}/records", new { kind = "feature", name = "Signup page", status = "new" });
        var recordId = record.GetProperty("id").GetGuid();
        await CreateAsync($"/records/{recordId}/links", new { integrationId = seeded.IntegrationId, externalId });
        return recordId;
    }

    /// <summary>The integration's newest delivery (for senders whose answer names none, as Salesforce's SOAP ack).</summary>
    public async Task<Guid> NewestDeliveryAsync(Guid integrationId)
    {
        var deliveries = await ExpectAsync(await http.GetAsync($"{Prefix}/integrations/{integrationId}/deliveries?limit=1"), HttpStatusCode.OK);
        return deliveries.EnumerateArray().Single().GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> GetRecordAsync(Guid recordId) =>
        await ExpectAsync(await http.GetAsync($"{Prefix}/records/{recordId}"), HttpStatusCode.OK);

    private async Task<JsonElement> CreateAsync(string path, object body) =>
        await ExpectAsync(await http.PostAsJsonAsync(Prefix + path, body), HttpStatusCode.Created);

    private static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(status), $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}

public sealed record LinkedJiraRecord(Guid RunAsUserId, Guid IntegrationId, string Token, Guid RecordId)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}

public sealed record LinkedRecord(Guid RunAsUserId, Guid IntegrationId, string Token, Guid RecordId, Guid ProductId)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}
