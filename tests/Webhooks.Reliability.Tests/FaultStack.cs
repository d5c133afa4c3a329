using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Reliability.Tests;

/// <summary>
/// One test's world on the dedicated fault instances: its own database and vhost, a Jira integration whose issue is
/// linked to a record, and the steps the tests take (post comments, wait for outcomes, count what landed).
/// </summary>
public sealed class FaultStack : IAsyncDisposable
{
    private const string JiraIssueId = "10040";
    private static readonly JsonNode CommentTemplate = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Jira, "comment_created.json"))!;

    private readonly List<IAsyncDisposable> _owned = [];

    private FaultStack(string connectionString, string virtualHost)
    {
        ConnectionString = connectionString;
        VirtualHost = virtualHost;
    }

    public string ConnectionString { get; }
    public string VirtualHost { get; }
    public string Token { get; private set; } = "";
    public Guid RecordId { get; private set; }

    public static async Task<FaultStack> CreateAsync(string purpose)
    {
        var virtualHost = $"faults-{purpose}-{Guid.NewGuid():N}";
        await FaultInstances.AddVirtualHostAsync(virtualHost);
        var stack = new FaultStack(await FaultInstances.CreateDatabaseAsync(purpose), virtualHost);
        await stack.SeedAsync();
        return stack;
    }

    public WebhooksDbContext CreateDbContext() => new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(ConnectionString).Options);

    /// <summary>An active account, its run-as user and product, a Jira integration, and a record linked to Jira issue 10040.</summary>
    private async Task SeedAsync()
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var account = new Account { Id = Guid.CreateVersion7(), Name = "Faults", Status = AccountStatus.Active, CreatedAt = now };
        var user = new User { Id = Guid.CreateVersion7(), AccountId = account.Id, Name = "Run-as", Email = $"{Guid.NewGuid():N}@example.test", IsIntegrationUser = true, CreatedAt = now };
        var product = new Product { Id = Guid.CreateVersion7(), AccountId = account.Id, Key = "APP", Name = "App", CreatedAt = now };
        Token = WebhookToken.New();
        var integration = new Integration
        {
            Id = Guid.CreateVersion7(), AccountId = account.Id, ProductId = product.Id, Provider = Provider.Jira, Version = 1, Name = "Jira",
            Enabled = true, TokenHash = WebhookToken.Hash(Token), RunAsUserId = user.Id,
            Settings = """{"statusMappings":{"To Do":"new","In Progress":"in_progress","Done":"shipped"}}""",
            CreatedAt = now, UpdatedAt = now,
        };
        var record = new Record { Id = Guid.CreateVersion7(), ProductId = product.Id, Kind = "feature", ReferenceNum = "APP-1", Name = "Original", Status = "new", CreatedAt = now, UpdatedAt = now };
        RecordId = record.Id;
        db.AddRange(account, user, product, new Membership { ProductId = product.Id, UserId = user.Id, Role = MembershipRole.Owner }, integration, record,
            new Link { Id = Guid.CreateVersion7(), RecordId = record.Id, IntegrationId = integration.Id, ExternalId = JiraIssueId, ExternalKey = "TES-41", CreatedAt = now });
        await db.SaveChangesAsync();
    }

    /// <summary>An in-process ingress, started and ready (its token directory loaded).</summary>
    public async Task<FaultIngress> StartIngressAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var ingress = new FaultIngress(this, settings);
        _owned.Add(ingress);
        using var client = ingress.CreateClient();
        await Eventually.GetAsync("the ingress to be ready", async () =>
        {
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode;
        }, status => status == HttpStatusCode.OK);
        return ingress;
    }

    public async Task<WorkerProcess> StartWorkerAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var worker = await WorkerProcess.StartAsync(this, settings);
        _owned.Add(worker);
        return worker;
    }

    /// <summary>A Jira comment_created for issue 10040 whose comment id (so its dedup key) is unique to <paramref name="number"/>.</summary>
    public static byte[] Comment(int number)
    {
        var json = CommentTemplate.DeepClone();
        json["comment"]!["id"] = (700000 + number).ToString(System.Globalization.CultureInfo.InvariantCulture);
        json["comment"]!["body"] = $"Comment number {number}";
        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    public async Task<Answer> PostCommentAsync(HttpClient client, int number, string? token = null)
    {
        using var content = new ByteArrayContent(Comment(number));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(new Uri($"/api/v1/webhooks/{token ?? Token}", UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        Guid? deliveryId = null;
        if (response.StatusCode == HttpStatusCode.OK && JsonNode.Parse(body) is { } answer)
        {
            deliveryId = answer["deliveryId"]!.GetValue<Guid>();
        }
        return new Answer(response.StatusCode, deliveryId, response.Headers.RetryAfter?.Delta, body);
    }

    /// <summary>Posts comments <paramref name="from"/>..<paramref name="from"/>+<paramref name="count"/>-1, <paramref name="parallel"/> at a time.</summary>
    public async Task<List<Answer>> PostCommentsAsync(HttpClient client, int from, int count, int parallel = 8)
    {
        var answers = new Answer[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel },
            async (i, _) => answers[i] = await PostCommentAsync(client, from + i));
        return [.. answers];
    }

    /// <summary>Waits (bounded) until every delivery has a row and has left accepted/queued; fails with the statuses it last saw.</summary>
    public Task WaitUntilFinishedAsync(IReadOnlyCollection<Guid> deliveryIds, TimeSpan within)
    {
        var ids = deliveryIds.ToList();
        return Eventually.GetAsync($"all {ids.Count} deliveries to have a row and an outcome (statuses seen)", async () =>
        {
            await using var db = CreateDbContext();
            return await db.Deliveries.Where(d => ids.Contains(d.Id)).GroupBy(d => d.Status).ToDictionaryAsync(g => g.Key, g => g.Count());
        }, statuses => statuses.Values.Sum() == ids.Count && !statuses.Keys.Any(s => s is DeliveryStatus.Accepted or DeliveryStatus.Queued), within);
    }

    public async Task<Dictionary<DeliveryStatus, int>> CountByStatusAsync()
    {
        await using var db = CreateDbContext();
        return await db.Deliveries.GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
    }

    /// <summary>Live comments on the linked record.</summary>
    public async Task<int> CountCommentsAsync()
    {
        await using var db = CreateDbContext();
        return await db.Comments.CountAsync(c => c.RecordId == RecordId && !c.Deleted);
    }

    /// <summary>Source comments that landed more than once on any record: a change applied twice.</summary>
    public async Task<int> CountDuplicateCommentsAsync()
    {
        await using var db = CreateDbContext();
        return await db.Comments.Where(c => c.SourceExternalId != null)
            .GroupBy(c => new { c.RecordId, c.SourceExternalId }).CountAsync(g => g.Count() > 1);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
        // The fault tests leave both instances running for the next test.
        await FaultInstances.StartRabbitMqAsync();
        await FaultInstances.StartPostgresAsync();
        await FaultInstances.DropDatabaseAsync(ConnectionString);
        await FaultInstances.DeleteVirtualHostAsync(VirtualHost);
    }
}

/// <summary>What the ingress answered one request.</summary>
public sealed record Answer(HttpStatusCode Status, Guid? DeliveryId, TimeSpan? RetryAfter, string Body);
