using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Tests.Hostile;

namespace Webhooks.Workers.Tests;

/// <summary>
/// One test's own account and everything in it, made through the admin API as an operator makes them (users, products,
/// memberships, integrations, linked records), plus the steps a test of the worker takes: post a delivery through the
/// ingress as its sender does, send it, wait for its outcome, and read what changed.
/// </summary>
public sealed class WorkerScenario
{
    /// <summary>The Jira issue every Jira fixture except comment_deleted/issue_deleted is about.</summary>
    public const string JiraIssueId = "10040";

    public const string DefaultSettings = """{"statusMappings":{"To Do":"new","In Progress":"in_progress","Done":"shipped"}}""";

    private static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(45);

    /// <summary>What the operator gave the sender of each integration made here (the admin API shows the token once, at creation).</summary>
    private static readonly ConcurrentDictionary<Guid, GivenToSender> Senders = new();
    private int _counter;

    private WorkerScenario(Guid accountId) => AccountId = accountId;

    public Guid AccountId { get; }

    private static AdminClient Admin => WorkersSetUp.AdminApi.Admin;

    public static WebhooksDbContext NewContext() =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(WorkersSetUp.Database.ConnectionString).Options);

    public static async Task<WorkerScenario> CreateAsync()
    {
        var account = await Admin.CreateAccountAsync("Account " + Guid.NewGuid().ToString("N")[..8]);
        return new WorkerScenario(account.GetProperty("id").GetGuid());
    }

    public async Task<User> CreateUserAsync(string name)
    {
        var user = await Admin.CreateUserAsync(AccountId, $"{name.ToLowerInvariant()}.{Next()}@example.test", name);
        return await ReadAsync<User>(user.GetProperty("id").GetGuid());
    }

    public async Task<Product> CreateProductAsync(string name)
    {
        var product = await Admin.CreateProductAsync(AccountId, $"P{Next()}", name);
        return await ReadAsync<Product>(product.GetProperty("id").GetGuid());
    }

    public Task GrantAsync(Product product, User user, MembershipRole role) =>
        Admin.PutMemberAsync(product.Id, user.Id, SnakeCaseEnumConverter<MembershipRole>.ToName(role));

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

    /// <summary>
    /// An integration made through the admin API (settings and signing secret validated and stored as an operator's are);
    /// disabled afterwards unless <paramref name="enabled"/>.
    /// </summary>
    public async Task<Integration> CreateIntegrationAsync(Product home, User runAs, int version = 1, string settings = DefaultSettings, Guid? templateId = null, bool enabled = true,
        Provider provider = Provider.Jira, string? signingSecret = null)
    {
        var created = await Admin.CreateIntegrationAsync(home.Id, runAs.Id, provider.ToWireName(), JsonSerializer.Deserialize<JsonElement>(settings),
            signingSecret: signingSecret, name: $"{provider} {Next()}", version: version, templateId: templateId);
        var id = created.GetProperty("id").GetGuid();
        Senders[id] = new GivenToSender(created.GetProperty("token").GetString()!, created.GetProperty("callbackUrl").GetString()!, signingSecret);
        if (!enabled)
        {
            await PatchIntegrationAsync(id, new { enabled = false });
        }
        return await ReadAsync<Integration>(id);
    }

    /// <summary>Changes the integration as an operator does (PATCH: enabled, runAsUserId, templateId, settings …).</summary>
    public static Task PatchIntegrationAsync(Guid integrationId, object change) =>
        Admin.PatchIntegrationAsync(integrationId, change);

    /// <summary>Points the integration at a template through the admin API (which takes a circular chain, with a warning).</summary>
    public static Task<JsonElement> SetTemplateAsync(Guid integrationId, Guid templateId) =>
        Admin.PatchIntegrationAsync(integrationId, new { templateId });

    public Task SetAccountStatusAsync(AccountStatus status) => Admin.SetAccountStatusAsync(AccountId, status);

    /// <summary>A record in <paramref name="product"/> linked to the Jira item through <paramref name="linkedThrough"/>.</summary>
    public async Task<Record> CreateLinkedRecordAsync(Product product, Integration linkedThrough, string externalId = JiraIssueId) =>
        await ReadAsync<Record>(await Admin.CreateLinkedRecordAsync(product.Id, linkedThrough.Id, externalId, "TES-41"));

    /// <summary>The row as stored now (one the admin API made, or a delivery the worker changed).</summary>
    private static async Task<T> ReadAsync<T>(Guid id) where T : class
    {
        await using var db = NewContext();
        return await db.Set<T>().AsNoTracking().SingleAsync(row => EF.Property<Guid>(row, "Id") == id);
    }

    /// <summary>
    /// A delivery as the sender makes it and the relay leaves it: the body is POSTed to the integration's callback URL with
    /// its sender's content type and headers from the sender catalog (<see cref="HostileSender"/>: a fresh delivery id
    /// each), the test's own <paramref name="headers"/> (an event name), and the sender's signature when the integration
    /// was given a secret, then taken from the outbox (<see cref="StoreDeliveryAsync(CreatedIntegration, byte[], IReadOnlyDictionary{string, string}, string)"/>).
    /// <paramref name="sourceDeliveryId"/> is Jira's own id for the delivery (<c>X-Atlassian-Webhook-Identifier</c>), for a
    /// test that repeats one (a retry).
    /// </summary>
    public static async Task<Delivery> StoreDeliveryAsync(Integration integration, byte[] body, string? sourceDeliveryId = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        if (!Senders.TryGetValue(integration.Id, out var given))
        {
            throw new InvalidOperationException(
                $"Integration {integration.Id} was not made by WorkerScenario.CreateIntegrationAsync, so its token is unknown: make it there.");
        }
        var sender = HostileSender.For(integration.Provider);
        var sent = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in sender.Headers("").Concat(headers ?? new Dictionary<string, string>()))
        {
            sent[name] = value;
        }
        if (sourceDeliveryId is not null)
        {
            sent["X-Atlassian-Webhook-Identifier"] = sourceDeliveryId;
        }
        if (given.SigningSecret is { } secret)
        {
            foreach (var (name, value) in sender.Sign(body, given.CallbackUrl, secret, $"msg_{Guid.NewGuid():N}"))
            {
                sent[name] = value;
            }
        }
        return await StoreDeliveryAsync(new CreatedIntegration(integration.Id, given.Token), body, sent, sender.ContentType);
    }

    /// <summary>
    /// A request the test has shaped and signed, POSTed to the callback URL through the run's ingress (its token check,
    /// its signature check, the headers it keeps, the source delivery id it reads, the row it stores), then taken out of
    /// the outbox as the relay takes a delivery it sent, so it shows as queued: the run's ingress has no relay, and the
    /// relay of another test's ingress on the same database must not send it. The worker gets it only when the test
    /// sends it (<see cref="DeliverAsync"/>, or a pipeline of its own).
    /// </summary>
    public static async Task<Delivery> StoreDeliveryAsync(CreatedIntegration integration, byte[] body, IReadOnlyDictionary<string, string> headers,
        string contentType = "application/json")
    {
        if (AdminIngress.SweepingCount > 0)
        {
            throw new InvalidOperationException(
                $"{AdminIngress.SweepingCount} ingress(es) with a sweeping outbox relay are alive: a sweep between the POST and taking the delivery "
                + "out of the outbox would send it first. Start the test's ingress with AdminIngress.StartNewAsync(sweeps: false).");
        }
        var deliveryId = await WorkersSetUp.AdminApi.PostWebhookAsync(integration, body, headers, contentType);
        await using var db = NewContext();
        var sent = await db.Outbox.Where(row => row.DeliveryIds.Length == 1 && row.DeliveryIds[0] == deliveryId).ExecuteDeleteAsync();
        Assert.That(sent, Is.EqualTo(1),
            $"the outbox row of delivery {deliveryId} alone (none: the relay of an ingress alive on this database was woken and sent it first)");
        return await ReadAsync<Delivery>(deliveryId);
    }

    /// <summary>Store, send through the broker, and wait until a worker has recorded an outcome.</summary>
    public static async Task<Delivery> DeliverAsync(Integration integration, byte[] body, WorkerApplication? worker = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var delivery = await StoreDeliveryAsync(integration, body, headers: headers);
        await (worker ?? WorkersSetUp.Worker).SendAsync(delivery);
        return await WaitForOutcomeAsync(delivery.Id);
    }

    public static Task<Delivery> DeliverFixtureAsync(Integration integration, string fixture) =>
        DeliverAsync(integration, PayloadFixtures.Read(Provider.Jira, fixture));

    /// <summary>Waits until the delivery has left queued/accepted (or reached one of <paramref name="awaited"/>).</summary>
    public static Task<Delivery> WaitForOutcomeAsync(Guid deliveryId, params DeliveryStatus[] awaited) =>
        Eventually.GetAsync($"delivery {deliveryId} to reach {(awaited.Length == 0 ? "an outcome" : string.Join(" or ", awaited))}",
            () => ReadAsync<Delivery>(deliveryId),
            delivery => awaited.Length == 0 ? delivery.Status is not (DeliveryStatus.Queued or DeliveryStatus.Accepted) : awaited.Contains(delivery.Status),
            OutcomeTimeout);

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

    /// <summary>The callback URL (and its token) and the signing secret, if any, an operator gives the sender.</summary>
    private sealed record GivenToSender(string Token, string CallbackUrl, string? SigningSecret);
}
