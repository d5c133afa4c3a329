using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>The admin API as an operator calls it: each helper makes one resource and fails the test if it is not 201/200.</summary>
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

    public async Task<JsonElement> CreateAccountAsync(string name = "Acme") =>
        await ExpectAsync(await PostAsync("/accounts", new { name }), HttpStatusCode.Created);

    public async Task<JsonElement> CreateUserAsync(Guid accountId, string? email = null) =>
        await ExpectAsync(await PostAsync($"/accounts/{accountId}/users", new { name = "Run-as", email = email ?? $"{Guid.NewGuid():N}@example.test" }), HttpStatusCode.Created);

    public async Task<JsonElement> CreateProductAsync(Guid accountId, string key = "APP") =>
        await ExpectAsync(await PostAsync($"/accounts/{accountId}/products", new { key, name = "App" }), HttpStatusCode.Created);

    public async Task<JsonElement> CreateIntegrationAsync(Guid productId, Guid runAsUserId, string provider = "jira", object? settings = null, string? signingSecret = null) =>
        await ExpectAsync(await PostAsync("/integrations", new { productId, provider, version = 1, name = "Jira", runAsUserId, settings, signingSecret }), HttpStatusCode.Created);

    /// <summary>Account → user (owner of the product) → product → integration, all through the API.</summary>
    public async Task<Seeded> SeedAsync(string provider = "jira", object? settings = null)
    {
        var account = await CreateAccountAsync();
        var accountId = account.GetProperty("id").GetGuid();
        var user = await CreateUserAsync(accountId);
        var userId = user.GetProperty("id").GetGuid();
        var product = await CreateProductAsync(accountId);
        var productId = product.GetProperty("id").GetGuid();
        await ExpectAsync(await PutAsync($"/products/{productId}/members/{userId}", new { role = "owner" }), HttpStatusCode.OK);
        var integration = await CreateIntegrationAsync(productId, userId, provider, settings);
        return new Seeded(accountId, userId, productId, integration.GetProperty("id").GetGuid(), integration.GetProperty("token").GetString()!, integration);
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(status), text);
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}

public sealed record Seeded(Guid AccountId, Guid UserId, Guid ProductId, Guid IntegrationId, string Token, JsonElement Created)
{
    public string WebhookPath => $"/api/v1/webhooks/{Token}";
}
