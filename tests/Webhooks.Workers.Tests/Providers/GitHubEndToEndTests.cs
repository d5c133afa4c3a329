using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// GitHub end to end, as <see cref="Deliveries.ProcessDeliveryConsumerTests"/> does for Jira: the delivery row is stored
/// as the ingress stores it (body and kept headers), ProcessDelivery goes through RabbitMQ to a real worker host that
/// consumes the GitHub queue, and the test reads what PostgreSQL holds afterwards.
/// </summary>
public sealed class GitHubEndToEndTests
{
    private const string IssueId = "444500041";
    private const string Mappings = """{"statusMappings":{"open":"in_progress","closed":"shipped"}}""";
    private ProviderScenario _github = null!;

    [OneTimeSetUp]
    public async Task Start_a_worker_for_GitHub() => _github = await ProviderScenario.StartAsync(Provider.GitHub);

    [OneTimeTearDown]
    public async Task Stop_it() => await _github.DisposeAsync();

    private static Dictionary<string, string> Headers(string eventName) => new()
    {
        ["User-Agent"] = "GitHub-Hookshot/044aadd",
        ["X-GitHub-Event"] = eventName,
        ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
        ["X-GitHub-Hook-ID"] = "109948940",
    };

    [Test]
    public async Task Comment_and_close_land_on_the_linked_record_as_the_run_as_user()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await _github.CreateIntegrationAsync(scenario, product, runAs, Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: IssueId);

        var comment = await _github.DeliverAsync(integration, PayloadFixtures.Read(Provider.GitHub, "issue_comment.created.json"), Headers("issue_comment"));
        var closed = await _github.DeliverAsync(integration, GitHubPayloadParserTests.Edit("issues.opened.json", json =>
        {
            json["action"] = "closed";
            json["issue"]!["state"] = "closed";
            json["issue"]!["updated_at"] = "2019-05-15T15:30:00Z";
        }), Headers("issues"));

        Assert.That((comment.Status, comment.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), comment.LastError);
        Assert.That((closed.Status, closed.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), closed.LastError);
        var saved = (await CommentsOnAsync(record)).Single();
        Assert.That((saved.Body, saved.AuthorUserId, saved.SourceProvider, saved.SourceExternalId, saved.SourceAuthor),
            Is.EqualTo(("You are totally right! I'll get this fixed right away.", runAs.Id, (Provider?)Provider.GitHub, "492700400", "Codertocat")));
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.UpdatedByUserId), Is.EqualTo(("shipped", (Guid?)runAs.Id)));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.UserId)),
            Is.EqualTo(new[] { ("comment_added", runAs.Id), ("status_changed", runAs.Id) }));
    }

    [Test]
    public async Task A_reopen_in_the_same_second_as_the_close_leaves_the_issue_open()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await _github.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "381987215");
        var reopened = GitHubPayloadParserTests.Edit("issues.closed.json", json =>
        {
            json["action"] = "reopened";
            json["issue"]!["state"] = "open";
        });

        await _github.DeliverAsync(integration, PayloadFixtures.Read(Provider.GitHub, "issues.closed.json"), Headers("issues"));
        var second = await _github.DeliverAsync(integration, reopened, Headers("issues"));

        Assert.That((second.Status, second.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), second.LastError);
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("in_progress"));
    }

    [Test]
    public async Task The_same_event_through_two_webhooks_is_applied_once_per_record()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await _github.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("One", product), Mappings);
        var second = await _github.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Two", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, first, externalId: IssueId);
        var body = PayloadFixtures.Read(Provider.GitHub, "issue_comment.created.json");

        // GitHub gives every hook the same X-GitHub-Delivery for one event; the dedup does not rely on it.
        var applied = await _github.DeliverAsync(first, body, Headers("issue_comment"));
        var duplicate = await _github.DeliverAsync(second, body, Headers("issue_comment"));

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), applied.LastError);
        Assert.That((duplicate.Status, duplicate.Applied, duplicate.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 1)), duplicate.LastError);
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
    }
}

/// <summary>
/// The steps the non-Jira end-to-end tests share: a worker host that consumes one provider's queue, integrations of
/// that provider, and deliveries stored with that provider's kept headers. (WorkerScenario's own helpers make Jira
/// integrations and deliveries; these leave them untouched.)
/// </summary>
public sealed class ProviderScenario : IAsyncDisposable
{
    private ProviderScenario(Provider provider, WorkerApplication worker)
    {
        Provider = provider;
        Worker = worker;
    }

    public Provider Provider { get; }
    public WorkerApplication Worker { get; }

    public static async Task<ProviderScenario> StartAsync(Provider provider) =>
        new(provider, await WorkerApplication.StartAsync($"--Workers:Providers={provider.ToWireName()}"));

    public Task<Integration> CreateIntegrationAsync(WorkerScenario scenario, Product home, User runAs, string settings) =>
        scenario.CreateIntegrationAsync(home, runAs, settings: settings, provider: Provider);

    /// <summary>Store as the ingress does (raw body, kept headers as JSON, queued), send through the broker, wait for the outcome.</summary>
    public async Task<Delivery> DeliverAsync(Integration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null, string contentType = "application/json")
    {
        var now = DateTimeOffset.UtcNow;
        var kept = new JsonObject();
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            kept[name] = value;
        }
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(),
            IntegrationId = integration.Id,
            Provider = Provider,
            ReceivedAt = now,
            Headers = kept.ToJsonString(),
            ContentType = contentType,
            Body = body,
            Status = DeliveryStatus.Queued,
            PublishedAt = now,
        };
        await using (var db = NewContext())
        {
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync();
        }
        await Worker.SendAsync(delivery);
        return await WaitForOutcomeAsync(delivery.Id);
    }

    public ValueTask DisposeAsync() => Worker.DisposeAsync();
}
