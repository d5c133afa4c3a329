using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests;

/// <summary>The ingress under test, on the run's database and vhost, with helpers that speak the domain.</summary>
public sealed class IngressApplication(string? virtualHost = null, Action<IWebHostBuilder>? configure = null, string? connectionString = null)
    : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdef0123";
    public const string PublicBaseUrl = "https://webhooks.example.test";

    public string ConnectionString => connectionString ?? IngressSetUp.Database.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Webhooks", ConnectionString);
        builder.UseSetting("RabbitMqTransport:Host", TestServices.RabbitHost);
        builder.UseSetting("RabbitMqTransport:Port", TestServices.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RabbitMqTransport:VHost", virtualHost ?? IngressSetUp.VirtualHost.Name);
        builder.UseSetting("RabbitMqTransport:User", TestServices.IngressBrokerUser.Name);
        builder.UseSetting("RabbitMqTransport:Pass", TestServices.IngressBrokerUser.Password);
        builder.UseSetting("DataProtection:CertificatePath", TestCertificates.KeyRingPath);
        builder.UseSetting("Ingress:AdminKey", AdminKey);
        builder.UseSetting("DeadLetters:User", TestServices.OperatorBrokerUser.Name);
        builder.UseSetting("DeadLetters:Pass", TestServices.OperatorBrokerUser.Password);
        builder.UseSetting("Ingress:PublicBaseUrl", PublicBaseUrl);
        builder.UseSetting("Outbox:SweepInterval", "00:00:00.500");
        builder.UseSetting("Outbox:MinBackoff", "00:00:00.200");
        builder.UseSetting("Outbox:MaxBackoff", "00:00:01");
        builder.UseSetting("Outbox:SendTimeout", "00:00:02");
        configure?.Invoke(builder);
    }

    /// <summary>A client with the admin key.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public WebhooksDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(ConnectionString).Options);

    /// <summary>Waits until the in-memory directory has loaded, so the first request is not answered 503.</summary>
    public async Task StartAsync()
    {
        var integrationsByToken = Services.GetRequiredService<IntegrationsByToken>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!integrationsByToken.IsLoaded)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The integration directory did not load within 30 s.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the outbox relay listens for replays' notifications (it sweeps once when it starts listening).</summary>
    public async Task WaitUntilListeningAsync()
    {
        var listener = Services.GetRequiredService<Webhooks.Ingress.Outbox.OutboxNotificationListener>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!listener.IsListening)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The outbox relay did not listen for notifications within 30 s.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>An active account with a product and a run-as user who owns it, and an integration of it; returns the token.</summary>
    public async Task<SeededIntegration> CreateIntegrationAsync(Provider provider, string? signingSecret = null, IntegrationSettings? settings = null)
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var account = new Account { Id = Guid.NewGuid(), Name = $"Account {Guid.NewGuid():N}", Status = AccountStatus.Active, CreatedAt = now };
        var user = new User { Id = Guid.NewGuid(), AccountId = account.Id, Name = "Run-as", Email = $"{Guid.NewGuid():N}@example.test", IsIntegrationUser = true, CreatedAt = now };
        var product = new Product { Id = Guid.NewGuid(), AccountId = account.Id, Key = "APP", Name = "App", CreatedAt = now };
        var token = WebhookToken.New();
        var integration = new Integration
        {
            Id = Guid.NewGuid(), AccountId = account.Id, ProductId = product.Id, Provider = provider, Version = 1, Name = $"{provider} test",
            Enabled = true, TokenHash = WebhookToken.Hash(token), RunAsUserId = user.Id,
            Settings = System.Text.Json.JsonSerializer.Serialize(settings ?? new IntegrationSettings(), IntegrationSettings.JsonOptions),
            CreatedAt = now, UpdatedAt = now,
        };
        db.AddRange(account, user, product, new Membership { ProductId = product.Id, UserId = user.Id, Role = MembershipRole.Owner }, integration);
        if (signingSecret is not null)
        {
            // Stored as given, as rows were before encryption at rest (the admin API encrypts; see SecretsAtRestTests).
            db.Add(new IntegrationSigningSecret { Id = Guid.NewGuid(), IntegrationId = integration.Id, Secret = signingSecret, CreatedAt = now });
        }
        await db.SaveChangesAsync();
        await Services.GetRequiredService<IntegrationsByToken>().RefreshAsync(CancellationToken.None);
        return new SeededIntegration(integration.Id, account.Id, token, WebhookToken.CallbackUrl(PublicBaseUrl, token));
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

    /// <summary>Waits (bounded) until none of the deliveries is still waiting in the outbox.</summary>
    public async Task WaitUntilPublishedAsync(IReadOnlyCollection<Guid> deliveryIds, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            await using var db = CreateDbContext();
            var waiting = await db.Deliveries.CountAsync(d => deliveryIds.Contains(d.Id) && d.PublishedAt == null);
            if (waiting == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{waiting} of {deliveryIds.Count} deliveries were still unpublished after {within.TotalSeconds} s.");
            }
            await Task.Delay(200);
        }
    }

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
