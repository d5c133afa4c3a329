using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Testing;

/// <summary>
/// The admin API as an operator calls it (the README's curl lines): every test makes accounts, integrations, secrets and
/// links through it. Each helper that makes a resource fails the test with the answer unless it was made.
/// </summary>
public sealed class AdminClient(HttpClient http)
{
    public const string Prefix = "/api/v1/admin";

    public HttpClient Http => http;

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> PostAsync(string path, object body) => http.PostAsJsonAsync(Prefix + path, body);

    public Task<HttpResponseMessage> PostJsonAsync(string path, string body) => http.PostAsync(Prefix + path, Json(body));

    public Task<HttpResponseMessage> PatchAsync(string path, object body) => http.PatchAsJsonAsync(Prefix + path, body);

    public Task<HttpResponseMessage> PutAsync(string path, object body) => http.PutAsJsonAsync(Prefix + path, body);

    public Task<HttpResponseMessage> GetAsync(string path) => http.GetAsync(Prefix + path);

    /// <summary>One call; the answer whatever its status.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, Prefix + path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>One call that must answer <paramref name="expected"/>.</summary>
    public async Task<JsonElement> ExpectAsync(HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        var (status, answer) = await SendAsync(method, path, body);
        Assert.That(status, Is.EqualTo(expected), $"{method} {path}: {answer}");
        return answer;
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(status), $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    private Task<JsonElement> CreateAsync(string path, object body) => ExpectAsync(HttpMethod.Post, path, body, HttpStatusCode.Created);

    public Task<JsonElement> CreateAccountAsync(string name = "Acme") => CreateAsync("/accounts", new { name });

    public Task<JsonElement> CreateUserAsync(Guid accountId, string? email = null, string name = "Run-as") =>
        CreateAsync($"/accounts/{accountId}/users", new { name, email = email ?? $"{Guid.NewGuid():N}@example.test" });

    public Task<JsonElement> CreateProductAsync(Guid accountId, string key = "APP", string name = "App") =>
        CreateAsync($"/accounts/{accountId}/products", new { key, name });

    /// <summary>Changes the integration as an operator does (PATCH: enabled, name, runAsUserId, templateId, settings, signingSecret …) and returns it.</summary>
    public Task<JsonElement> PatchIntegrationAsync(Guid integrationId, object change) =>
        ExpectAsync(HttpMethod.Patch, $"/integrations/{integrationId}", change, HttpStatusCode.OK);

    /// <summary>Activates, disables or suspends the account (PATCH, as an operator does).</summary>
    public Task<JsonElement> SetAccountStatusAsync(Guid accountId, AccountStatus status) =>
        ExpectAsync(HttpMethod.Patch, $"/accounts/{accountId}", new { status = SnakeCaseEnumConverter<AccountStatus>.ToName(status) }, HttpStatusCode.OK);

    /// <summary>Gives the user <paramref name="role"/> (owner, contributor, reviewer, viewer) in the product.</summary>
    public Task<JsonElement> PutMemberAsync(Guid productId, Guid userId, string role) =>
        ExpectAsync(HttpMethod.Put, $"/products/{productId}/members/{userId}", new { role }, HttpStatusCode.OK);

    public Task<JsonElement> CreateIntegrationAsync(Guid productId, Guid runAsUserId, string provider = "jira", object? settings = null, string? signingSecret = null, string? name = null,
        int version = 1, Guid? templateId = null) =>
        CreateAsync("/integrations", new { productId, provider, version, name = name ?? provider, runAsUserId, templateId, settings, signingSecret });

    /// <summary>Account → run-as user, member of the product in <paramref name="role"/> → product.</summary>
    public async Task<Tenant> CreateTenantAsync(string role = "contributor")
    {
        var accountId = (await CreateAccountAsync($"Account {Guid.NewGuid():N}")).GetProperty("id").GetGuid();
        var userId = (await CreateUserAsync(accountId)).GetProperty("id").GetGuid();
        var productId = (await CreateProductAsync(accountId)).GetProperty("id").GetGuid();
        await PutMemberAsync(productId, userId, role);
        return new Tenant(accountId, userId, productId);
    }

    /// <summary>An integration of the tenant's product, run as its user.</summary>
    public async Task<CreatedIntegration> CreateIntegrationAsync(Tenant tenant, string provider, object? settings, string? signingSecret = null)
    {
        var created = await CreateIntegrationAsync(tenant.ProductId, tenant.UserId, provider, settings, signingSecret);
        return new CreatedIntegration(created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    /// <summary>A tenant whose user owns the product, and an integration of it.</summary>
    public async Task<Seeded> SeedAsync(string provider = "jira", object? settings = null, string? signingSecret = null)
    {
        var tenant = await CreateTenantAsync("owner");
        var integration = await CreateIntegrationAsync(tenant.ProductId, tenant.UserId, provider, settings, signingSecret);
        return new Seeded(tenant.AccountId, tenant.UserId, tenant.ProductId, integration.GetProperty("id").GetGuid(), integration.GetProperty("token").GetString()!, integration);
    }

    /// <summary>A record of <paramref name="productId"/> linked to the sender's item <paramref name="externalId"/> through the integration.</summary>
    public async Task<Guid> CreateLinkedRecordAsync(Guid productId, Guid integrationId, string externalId, string? externalKey = null)
    {
        var record = await CreateAsync($"/products/{productId}/records",
            new { kind = "feature", name = "Original name", description = "Original description", status = "new" });
        var recordId = record.GetProperty("id").GetGuid();
        await CreateAsync($"/records/{recordId}/links", new { integrationId, externalId, externalKey });
        return recordId;
    }

    public Task<Guid> CreateLinkedRecordAsync(Tenant tenant, CreatedIntegration integration, string externalId) =>
        CreateLinkedRecordAsync(tenant.ProductId, integration.Id, externalId);

    /// <summary>An integration of <paramref name="provider"/> and a record linked to the sender's item <paramref name="externalId"/>.</summary>
    public async Task<LinkedRecord> SeedLinkedRecordAsync(string provider, string externalId, object? settings = null, string? externalKey = null)
    {
        var seeded = await SeedAsync(provider, settings);
        var recordId = await CreateLinkedRecordAsync(seeded.ProductId, seeded.IntegrationId, externalId, externalKey);
        return new LinkedRecord(seeded.UserId, seeded.IntegrationId, seeded.Token, recordId, seeded.ProductId);
    }

    /// <summary>A Jira integration and a record linked to issue 10040, the issue of the recorded comment_created.json.</summary>
    public Task<LinkedRecord> SeedLinkedJiraRecordAsync() => SeedLinkedRecordAsync("jira", "10040", externalKey: "TES-41");

    /// <summary>The record as the admin API shows it: fields, comments and history.</summary>
    public Task<JsonElement> GetRecordAsync(Guid recordId) => ExpectAsync(HttpMethod.Get, $"/records/{recordId}", null, HttpStatusCode.OK);

    /// <summary>The integration's newest delivery (for senders whose answer names none, as Salesforce's SOAP ack).</summary>
    public async Task<Guid> NewestDeliveryAsync(Guid integrationId)
    {
        var deliveries = await ExpectAsync(HttpMethod.Get, $"/integrations/{integrationId}/deliveries?limit=1", null, HttpStatusCode.OK);
        return deliveries.EnumerateArray().Single().GetProperty("id").GetGuid();
    }

    /// <summary>Polls the delivery until it has an outcome (it left accepted and queued).</summary>
    public Task<JsonElement> WaitForOutcomeAsync(Guid deliveryId, TimeSpan? within = null) =>
        Eventually.GetAsync($"delivery {deliveryId} to have an outcome",
            () => ExpectAsync(HttpMethod.Get, $"/deliveries/{deliveryId}", null, HttpStatusCode.OK),
            delivery => delivery.GetProperty("status").GetString() is not ("accepted" or "queued"), within);

    /// <summary>Follows a replay's progress until none of its deliveries waits any more.</summary>
    public Task<JsonElement> WaitForReplayAsync(Guid replayId) =>
        Eventually.GetAsync($"replay {replayId} to be done",
            () => ExpectAsync(HttpMethod.Get, $"/deliveries/replays/{replayId}", null, HttpStatusCode.OK),
            progress => progress.GetProperty("done").GetBoolean(), TimeSpan.FromSeconds(45));
}

/// <summary>An account, its run-as user and a product the user is a member of.</summary>
public sealed record Tenant(Guid AccountId, Guid UserId, Guid ProductId);

public sealed record CreatedIntegration(Guid Id, string Token)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}

public sealed record Seeded(Guid AccountId, Guid UserId, Guid ProductId, Guid IntegrationId, string Token, JsonElement Created)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}

public sealed record LinkedRecord(Guid RunAsUserId, Guid IntegrationId, string Token, Guid RecordId, Guid ProductId)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}
