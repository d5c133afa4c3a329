using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Tests.Hostile;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// GitHub end to end, as <see cref="Deliveries.ProcessDeliveryConsumerTests"/> does for Jira: the delivery is posted to
/// the ingress as GitHub posts it (its headers, signed with the integration's secret), which checks and stores it;
/// ProcessDelivery goes through RabbitMQ to a real worker host that consumes the GitHub queue, and the test reads what
/// PostgreSQL holds afterwards.
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

    // The event the worker reads from the kept X-GitHub-Event; GitHub's other headers (a fresh X-GitHub-Delivery each)
    // are the sender catalog's.
    private static Dictionary<string, string> Headers(string eventName) => new() { ["X-GitHub-Event"] = eventName };

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
        var oneEvent = Headers("issue_comment");
        oneEvent["X-GitHub-Delivery"] = Guid.NewGuid().ToString();
        var applied = await _github.DeliverAsync(first, body, oneEvent);
        var duplicate = await _github.DeliverAsync(second, body, oneEvent);

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), applied.LastError);
        Assert.That((duplicate.Status, duplicate.Applied, duplicate.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 1)), duplicate.LastError);
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
    }
}

/// <summary>
/// The steps the non-Jira end-to-end tests share: a worker host that consumes one provider's queue, integrations of
/// that provider given its sender's signing secret (if it signs) through the admin API, and deliveries posted to the
/// ingress as that sender posts them (<see cref="WorkerScenario.StoreDeliveryAsync(Integration, byte[], string?, IReadOnlyDictionary{string, string}?)"/>).
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
        scenario.CreateIntegrationAsync(home, runAs, settings: settings, provider: Provider, signingSecret: HostileSender.For(Provider).SigningSecret);

    /// <summary>
    /// Post as the sender does (its content type and headers, <paramref name="headers"/> added, and its signature if it
    /// signs), send the stored delivery through the broker to this worker, wait for the outcome.
    /// </summary>
    public Task<Delivery> DeliverAsync(Integration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null) =>
        WorkerScenario.DeliverAsync(integration, body, Worker, headers);

    public ValueTask DisposeAsync() => Worker.DisposeAsync();
}
