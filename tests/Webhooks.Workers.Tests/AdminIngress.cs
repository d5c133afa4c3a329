using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Ingress.Outbox;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;
using Webhooks.Testing;

namespace Webhooks.Workers.Tests;

/// <summary>
/// The ingress program in-process on the run's database and vhost, for what an operator and a sender do: integrations,
/// settings and API tokens are made through its admin API, and deliveries arrive as the sender's own HTTP request (the
/// outbox relay then sends them to the workers). Its entry type is named through <see cref="IngressTelemetry"/>: this
/// assembly also references the worker program, and both define a top-level <c>Program</c>.
/// </summary>
public sealed class AdminIngress(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<IngressTelemetry>
{
    public const string AdminKey = "workers-tests-admin-key-0123456789";
    public const string Prefix = "/api/v1/admin";

    /// <summary>The fake provider APIs listen on loopback: both the admin API and the workers must allow them.</summary>
    public const string LoopbackApis = "http://127.0.0.1:";

    private HttpClient _admin = null!;
    private HttpClient _senders = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // As deploy/run.sh runs it: the webhook path on the ingress's role and broker user, the admin API as the owner,
        // the key ring encrypted with the certificate the workers under test read it with.
        builder.UseSetting("ConnectionStrings:Webhooks", TestServices.ConnectionAs(WorkersSetUp.Database.ConnectionString, TestServices.IngressRole));
        builder.UseSetting("ConnectionStrings:Admin", WorkersSetUp.Database.ConnectionString);
        builder.UseSetting("RabbitMqTransport:Host", TestServices.RabbitHost);
        builder.UseSetting("RabbitMqTransport:Port", TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("RabbitMqTransport:VHost", WorkersSetUp.VirtualHost.Name);
        builder.UseSetting("RabbitMqTransport:User", TestServices.IngressBrokerUser.Name);
        builder.UseSetting("RabbitMqTransport:Pass", TestServices.IngressBrokerUser.Password);
        builder.UseSetting("DataProtection:CertificatePath", TestCertificates.KeyRingPath);
        builder.UseSetting("Ingress:AdminKey", AdminKey);
        // The admin API reads the error queues as a user of its own (DeadLetterOptions).
        builder.UseSetting("DeadLetters:User", TestServices.OperatorBrokerUser.Name);
        builder.UseSetting("DeadLetters:Pass", TestServices.OperatorBrokerUser.Password);
        builder.UseSetting("Ingress:PublicBaseUrl", "https://webhooks.example.test");
        builder.UseSetting("Outbox:SweepInterval", "00:00:00.500");
        builder.UseSetting("Outbox:SendTimeout", "00:00:02");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>
    /// Starts the ingress (allowing loopback provider APIs unless told otherwise, with any further <paramref name="settings"/>,
    /// e.g. a vhost of the test's own) and waits for its directory.
    /// </summary>
    public static async Task<AdminIngress> StartAsync(string? allowedBaseUrls = LoopbackApis, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var ingress = new AdminIngress(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Fetching:AllowedBaseUrls"] = allowedBaseUrls });
        ingress._admin = ingress.CreateClient();
        ingress._admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        ingress._senders = ingress.CreateClient();
        var integrationsByToken = ingress.Services.GetRequiredService<IntegrationsByToken>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!integrationsByToken.IsLoaded)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The ingress's integration directory did not load within 30 s.");
            }
            await Task.Delay(50);
        }
        return ingress;
    }

    /// <summary>Waits until the outbox relay listens for replays' notifications (it also sweeps once when it starts listening).</summary>
    public async Task WaitUntilListeningAsync()
    {
        var listener = Services.GetRequiredService<OutboxNotificationListener>();
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

    /// <summary>An admin API call; the answer whatever its status.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, Prefix + path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await _admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>An admin API call that must answer <paramref name="expected"/>; fails the test with the answer otherwise.</summary>
    public async Task<JsonElement> ExpectAsync(HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        var (status, answer) = await SendAsync(method, path, body);
        Assert.That(status, Is.EqualTo(expected), $"{method} {path}: {answer}");
        return answer;
    }

    /// <summary>Follows a replay's progress (the Location its answer names) until none of its deliveries waits any more.</summary>
    public async Task<JsonElement> WaitForReplayAsync(Guid replayId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        JsonElement progress;
        do
        {
            progress = await ExpectAsync(HttpMethod.Get, $"/deliveries/replays/{replayId}", null, HttpStatusCode.OK);
            if (progress.GetProperty("done").GetBoolean())
            {
                return progress;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Replay {replayId} not done after 45 s: {progress}");
        return progress;
    }

    /// <summary>Account → run-as user (contributor of the product) → product, through the admin API.</summary>
    public async Task<Tenant> CreateTenantAsync()
    {
        var account = await ExpectAsync(HttpMethod.Post, "/accounts", new { name = $"Account {Guid.NewGuid():N}" }, HttpStatusCode.Created);
        var accountId = account.GetProperty("id").GetGuid();
        var user = await ExpectAsync(HttpMethod.Post, $"/accounts/{accountId}/users", new { name = "Runner", email = $"{Guid.NewGuid():N}@example.test" }, HttpStatusCode.Created);
        var userId = user.GetProperty("id").GetGuid();
        var product = await ExpectAsync(HttpMethod.Post, $"/accounts/{accountId}/products", new { key = "APP", name = "App" }, HttpStatusCode.Created);
        var productId = product.GetProperty("id").GetGuid();
        await ExpectAsync(HttpMethod.Put, $"/products/{productId}/members/{userId}", new { role = "contributor" }, HttpStatusCode.OK);
        return new Tenant(accountId, userId, productId);
    }

    /// <summary>An integration of the tenant's product, as the README's curl makes it.</summary>
    public async Task<CreatedIntegration> CreateIntegrationAsync(Tenant tenant, string provider, object settings, string? signingSecret = null)
    {
        var created = await ExpectAsync(HttpMethod.Post, "/integrations",
            new { productId = tenant.ProductId, provider, version = 1, name = provider, runAsUserId = tenant.UserId, settings, signingSecret }, HttpStatusCode.Created);
        return new CreatedIntegration(created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    /// <summary>A record of the tenant's product linked to <paramref name="externalId"/> through the integration.</summary>
    public async Task<Guid> CreateLinkedRecordAsync(Tenant tenant, CreatedIntegration integration, string externalId)
    {
        var record = await ExpectAsync(HttpMethod.Post, $"/products/{tenant.ProductId}/records",
            new { kind = "feature", name = "Original name", description = "Original description", status = "new" }, HttpStatusCode.Created);
        var recordId = record.GetProperty("id").GetGuid();
        await ExpectAsync(HttpMethod.Post, $"/records/{recordId}/links", new { integrationId = integration.Id, externalId }, HttpStatusCode.Created);
        return recordId;
    }

    /// <summary>The record as the admin API shows it: fields, comments and history.</summary>
    public Task<JsonElement> GetRecordAsync(Guid recordId) => ExpectAsync(HttpMethod.Get, $"/records/{recordId}", null, HttpStatusCode.OK);

    /// <summary>
    /// What a sender does: POSTs <paramref name="body"/> to the callback URL with its own headers; returns the delivery
    /// id of the 200 answer.
    /// </summary>
    public async Task<Guid> PostWebhookAsync(CreatedIntegration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var (status, text) = await SendWebhookAsync(integration, body, headers);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.GetProperty("deliveryId").GetGuid();
    }

    public async Task<(HttpStatusCode Status, string Body)> SendWebhookAsync(CreatedIntegration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/webhooks/{integration.Token}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await _senders.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Asana's handshake when a webhook is created: <c>X-Hook-Secret</c> on an empty POST, echoed and kept.</summary>
    public async Task AsanaHandshakeAsync(CreatedIntegration integration, string secret)
    {
        var (status, text) = await SendWebhookAsync(integration, [], new Dictionary<string, string> { ["X-Hook-Secret"] = secret });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
    }

    /// <summary>The lower-case hex HMAC-SHA256 of the body that Asana (<c>X-Hook-Signature</c>) and Smartsheet (<c>Smartsheet-Hmac-SHA256</c>) send.</summary>
    public static string HexHmacSha256(string secret, byte[] body) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body));

    public override async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        _senders?.Dispose();
        await base.DisposeAsync();
    }
}

public sealed record Tenant(Guid AccountId, Guid UserId, Guid ProductId);

public sealed record CreatedIntegration(Guid Id, string Token);
