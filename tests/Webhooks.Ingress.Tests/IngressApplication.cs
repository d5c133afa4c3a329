using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests;

/// <summary>
/// The ingress under test, on the run's database (as its owner: these tests are about the ingress, not its grants) and
/// vhost, with helpers that speak the domain. Started through <see cref="IngressFixture"/>.
/// </summary>
public sealed class IngressApplication(string? virtualHost = null, Action<IWebHostBuilder>? configure = null, string? connectionString = null)
    : TestIngress(SettingsFor(connectionString ?? IngressSetUp.Database.ConnectionString, virtualHost ?? IngressSetUp.VirtualHost.Name), configure)
{
    public const string AdminKey = "test-admin-key-0123456789abcdef0123";

    public string ConnectionString { get; } = connectionString ?? IngressSetUp.Database.ConnectionString;

    private static Dictionary<string, string?> SettingsFor(string connectionString, string virtualHost)
    {
        var settings = Settings(connectionString, virtualHost, AdminKey);
        settings["ConnectionStrings:Webhooks"] = connectionString;
        settings.Remove("ConnectionStrings:Admin");
        // Every request of the in-process server comes from no address, one bucket of wrong admin keys: the wrong-key
        // tests must not lock the others out (the limit has its own test).
        settings["Console:SignInFailureLimit"] = "1000";
        return settings;
    }

    public WebhooksDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(ConnectionString).Options);

    /// <summary>
    /// An active account with a product and a run-as user who owns it, and an integration of it, made through the admin
    /// API as an operator makes them (the token is the one the API answered with); returns the token.
    /// </summary>
    public async Task<SeededIntegration> CreateIntegrationAsync(Provider provider, string? signingSecret = null, IntegrationSettings? settings = null)
    {
        using var http = CreateAdminClient();
        var seeded = await new AdminClient(http).SeedAsync(
            provider.ToWireName(),
            settings is null ? null : System.Text.Json.JsonSerializer.SerializeToElement(settings, IntegrationSettings.JsonOptions),
            signingSecret);
        return new SeededIntegration(seeded.IntegrationId, seeded.AccountId, seeded.Token, WebhookToken.CallbackUrl(PublicBaseUrl, seeded.Token));
    }

    /// <summary>
    /// Writes <paramref name="secret"/> into the secrets table as given, the shape rows had before encryption at rest; only
    /// for the tests of that legacy shape (SecretsAtRestTests). Every other test sets secrets through the admin API.
    /// </summary>
    public async Task StoreLegacyPlaintextSecretAsync(Guid integrationId, string secret)
    {
        await using var db = CreateDbContext();
        db.Add(new IntegrationSigningSecret { Id = Guid.NewGuid(), IntegrationId = integrationId, Secret = secret, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        await Services.GetRequiredService<IntegrationsByToken>().RefreshAsync(CancellationToken.None);
    }

    /// <summary>Posts a small Jira comment event and returns the delivery id from the 200 answer.</summary>
    public async Task<Guid> PostJiraCommentAsync(HttpClient client, SeededIntegration integration)
    {
        using var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(integration.Path, content);
        response.EnsureSuccessStatusCode();
        using var answer = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return answer.RootElement.GetProperty("deliveryId").GetGuid();
    }

    /// <summary>Waits until none of the deliveries is still waiting in the outbox.</summary>
    public Task WaitUntilPublishedAsync(IReadOnlyCollection<Guid> deliveryIds, TimeSpan within) =>
        Eventually.GetAsync($"{deliveryIds.Count} deliveries to leave the outbox", async () =>
        {
            await using var db = CreateDbContext();
            // Sent: no outbox row names it (the relay deletes it there after the broker's confirm).
            return await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => deliveryIds.Contains(id));
        }, unpublished => unpublished == 0, within);

    public async Task<List<Delivery>> DeliveriesOfAsync(Guid integrationId)
    {
        await using var db = CreateDbContext();
        return await db.Deliveries.AsNoTracking().Where(d => d.IntegrationId == integrationId).OrderBy(d => d.ReceivedAt).ToListAsync();
    }
}

public sealed record SeededIntegration(Guid Id, Guid AccountId, string Token, string CallbackUrl)
{
    public string Path => $"/api/v1/webhooks/{Token}";
}
