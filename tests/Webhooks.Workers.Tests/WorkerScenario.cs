using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Tests;

/// <summary>
/// One test's own account and everything in it, written straight into the run's database, plus the steps a test
/// takes: store a delivery as the ingress would, send it, wait for its outcome, and read what changed.
/// </summary>
public sealed class WorkerScenario
{
    /// <summary>The Jira issue every Jira fixture except comment_deleted/issue_deleted is about.</summary>
    public const string JiraIssueId = "10040";

    public const string DefaultSettings = """{"statusMappings":{"To Do":"new","In Progress":"in_progress","Done":"shipped"}}""";

    private static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(45);
    private int _counter;

    private WorkerScenario(Guid accountId) => AccountId = accountId;

    public Guid AccountId { get; }

    public static WebhooksDbContext NewContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(WorkersSetUp.Database.ConnectionString).Options);

    public static async Task<WorkerScenario> CreateAsync()
    {
        await using var db = NewContext();
        var account = new Account { Id = Guid.CreateVersion7(), Name = "Account " + Guid.NewGuid().ToString("N")[..8], Status = AccountStatus.Active, CreatedAt = DateTimeOffset.UtcNow };
        db.Accounts.Add(account);
        await db.SaveChangesAsync();
        return new WorkerScenario(account.Id);
    }

    public async Task<User> CreateUserAsync(string name)
    {
        await using var db = NewContext();
        var user = new User { Id = Guid.CreateVersion7(), AccountId = AccountId, Name = name, Email = $"{name.ToLowerInvariant()}.{Next()}@example.test", IsIntegrationUser = true, CreatedAt = DateTimeOffset.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    public async Task<Product> CreateProductAsync(string name)
    {
        await using var db = NewContext();
        var product = new Product { Id = Guid.CreateVersion7(), AccountId = AccountId, Key = $"P{Next()}", Name = name, CreatedAt = DateTimeOffset.UtcNow };
        db.Products.Add(product);
        await db.SaveChangesAsync();
        return product;
    }

    public async Task GrantAsync(Product product, User user, MembershipRole role)
    {
        await using var db = NewContext();
        db.Memberships.Add(new Membership { ProductId = product.Id, UserId = user.Id, Role = role });
        await db.SaveChangesAsync();
    }

    /// <summary>A user who may write the given products (contributor).</summary>
    public async Task<User> CreateWriterAsync(string name, params Product[] products)
    {
        var user = await CreateUserAsync(name);
        foreach (var product in products)
        {
            await GrantAsync(product, user, MembershipRole.Contributor);
        }
        return user;
    }

    public async Task<Integration> CreateIntegrationAsync(Product home, User runAs, int version = 1, string settings = DefaultSettings, Guid? templateId = null, bool enabled = true,
        Provider provider = Provider.Jira)
    {
        await using var db = NewContext();
        var now = DateTimeOffset.UtcNow;
        var integration = new Integration
        {
            Id = Guid.CreateVersion7(),
            AccountId = AccountId,
            ProductId = home.Id,
            Provider = provider,
            Version = version,
            Name = $"{provider} {Next()}",
            Enabled = enabled,
            TokenHash = RandomNumberGenerator.GetBytes(32),
            RunAsUserId = runAs.Id,
            TemplateId = templateId,
            Settings = settings,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Integrations.Add(integration);
        await db.SaveChangesAsync();
        return integration;
    }

    public static async Task UpdateIntegrationAsync(Guid integrationId, Action<Integration> change)
    {
        await using var db = NewContext();
        var integration = await db.Integrations.SingleAsync(i => i.Id == integrationId);
        change(integration);
        integration.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
    }

    public async Task SetAccountStatusAsync(AccountStatus status)
    {
        await using var db = NewContext();
        await db.Accounts.Where(a => a.Id == AccountId).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, status));
    }

    /// <summary>A record in <paramref name="product"/> linked to the Jira item through <paramref name="linkedThrough"/>.</summary>
    public async Task<Record> CreateLinkedRecordAsync(Product product, Integration linkedThrough, string externalId = JiraIssueId)
    {
        await using var db = NewContext();
        var now = DateTimeOffset.UtcNow;
        var record = new Record { Id = Guid.CreateVersion7(), ProductId = product.Id, Kind = "feature", ReferenceNum = $"{product.Key}-{Next()}", Name = "Original name", Description = "Original description", Status = "new", CreatedAt = now, UpdatedAt = now };
        db.Records.Add(record);
        db.Links.Add(new Link { Id = Guid.CreateVersion7(), RecordId = record.Id, IntegrationId = linkedThrough.Id, ExternalId = externalId, ExternalKey = "TES-41", CreatedAt = now });
        await db.SaveChangesAsync();
        return record;
    }

    /// <summary>
    /// Stores the delivery as the ingress does (raw body) and as if the relay had sent it: named by no outbox row, so it
    /// shows as queued (stored as such, so that no relay of a test's ingress sends it), and no publish time yet (the
    /// worker records it with the outcome).
    /// </summary>
    public static async Task<Delivery> StoreDeliveryAsync(Integration integration, byte[] body, string? sourceDeliveryId = null, DateTimeOffset? receivedAt = null)
    {
        await using var db = NewContext();
        var now = receivedAt ?? DateTimeOffset.UtcNow;
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(),
            IntegrationId = integration.Id,
            Provider = integration.Provider,
            ReceivedAt = now,
            Headers = """{"User-Agent":"Atlassian Webhook HTTP Client"}""",
            ContentType = "application/json",
            Body = body,
            SourceDeliveryId = sourceDeliveryId,
            Status = DeliveryStatus.Queued,
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery;
    }

    /// <summary>Store, send through the broker, and wait until a worker has recorded an outcome.</summary>
    public static async Task<Delivery> DeliverAsync(Integration integration, byte[] body, WorkerApplication? worker = null)
    {
        var delivery = await StoreDeliveryAsync(integration, body);
        await (worker ?? WorkersSetUp.Worker).SendAsync(delivery);
        return await WaitForOutcomeAsync(delivery.Id);
    }

    public static Task<Delivery> DeliverFixtureAsync(Integration integration, string fixture) =>
        DeliverAsync(integration, PayloadFixtures.Read(Provider.Jira, fixture));

    /// <summary>Waits until the delivery has left queued/accepted (or reached one of <paramref name="awaited"/>).</summary>
    public static Task<Delivery> WaitForOutcomeAsync(Guid deliveryId, params DeliveryStatus[] awaited) =>
        Eventually.GetAsync($"delivery {deliveryId} to reach {(awaited.Length == 0 ? "an outcome" : string.Join(" or ", awaited))}",
            () => ReadAsync(deliveryId),
            delivery => awaited.Length == 0 ? delivery.Status is not (DeliveryStatus.Queued or DeliveryStatus.Accepted) : awaited.Contains(delivery.Status),
            OutcomeTimeout);

    private static async Task<Delivery> ReadAsync(Guid deliveryId)
    {
        await using var db = NewContext();
        return await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId);
    }

    public static async Task<List<Comment>> CommentsOnAsync(Record record)
    {
        await using var db = NewContext();
        return await db.Comments.AsNoTracking().Where(c => c.RecordId == record.Id).ToListAsync();
    }

    public static async Task<Record> ReloadAsync(Record record)
    {
        await using var db = NewContext();
        return await db.Records.AsNoTracking().SingleAsync(r => r.Id == record.Id);
    }

    public static async Task<List<AuditEntry>> AuditOfAsync(Record record)
    {
        await using var db = NewContext();
        return await db.AuditEntries.AsNoTracking().Where(a => a.RecordId == record.Id).OrderBy(a => a.Id).ToListAsync();
    }

    private int Next() => Interlocked.Increment(ref _counter);
}
