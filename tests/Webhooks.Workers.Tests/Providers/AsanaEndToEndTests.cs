using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Testing;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers.Asana;
using Webhooks.Workers.Tests.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Asana on the real stack: the delivery stored with a real body, ProcessDelivery through RabbitMQ to a worker that
/// consumes <c>webhooks-asana</c>, and the task or story read from a loopback fake of the Asana API.
/// </summary>
public sealed class AsanaEndToEndTests
{
    private const string TaskGid = "1199170056173519";
    private const string Token = "asana-pat-do-not-log-0123456789";
    private WorkerApplication _worker = null!;
    private FakeProviderApi _asana = null!;

    [OneTimeSetUp]
    public async Task Start_an_Asana_worker() =>
        _worker = await WorkerApplication.StartAsync(
            "--Workers:Providers=asana", "--Fetching:RetryCount=1", "--Fetching:RetryBaseDelay=00:00:00.020", "--Fetching:AttemptTimeout=00:00:02");

    [OneTimeTearDown]
    public async Task Stop_the_worker() => await _worker.DisposeAsync();

    [SetUp]
    public async Task Start_the_fake_api() => _asana = await StartAsync();

    [TearDown]
    public async Task Stop_the_fake_api() => await _asana.DisposeAsync();

    private async Task<Integration> AsanaIntegrationAsync(WorkerScenario scenario, Product product, User runAs, bool credentials = true)
    {
        var integration = await scenario.CreateIntegrationAsync(product, runAs);
        var api = credentials ? $$""","apiBaseUrl":"{{_asana.BaseUrl}}","apiToken":"{{Token}}" """ : "";
        var settings = $$"""{"statusMappings":{"Completed":"shipped","Incomplete":"new"}{{api}}}""";
        await UpdateIntegrationAsync(integration.Id, i => (i.Provider, i.Settings) = (Provider.Asana, settings));
        (integration.Provider, integration.Settings) = (Provider.Asana, settings);
        return integration;
    }

    private Task<Delivery> DeliverAsync(Integration integration, byte[] body) => WorkerScenario.DeliverAsync(integration, body, _worker);

    private static byte[] Completed => PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");

    [Test]
    public async Task Completed_task_through_two_webhooks_sets_the_mapped_status_once_as_the_run_as_user()
    {
        _asana.On($"tasks/{TaskGid}", Json("""{"data":{"gid":"1199170056173519","name":"Ship it","completed":true,"memberships":[]}}"""));
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var first = await AsanaIntegrationAsync(scenario, product, runAs);
        var second = await AsanaIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Other", product));
        var record = await scenario.CreateLinkedRecordAsync(product, first, TaskGid);

        var applied = await DeliverAsync(first, Completed);
        var again = await DeliverAsync(second, Completed);

        // completed → the task's status, read from the API; completed_at → a history line only.
        Assert.That((applied.Status, applied.Applied, applied.Duplicates, applied.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, 0, (string?)null)));
        Assert.That((again.Status, again.Applied, again.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 2)));
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.UpdatedByUserId), Is.EqualTo(("shipped", (Guid?)runAs.Id)));
        var audit = await AuditOfAsync(record);
        Assert.That(audit.Select(a => (a.Action, a.After, a.UserId)), Is.EquivalentTo(new[]
        {
            ("status_changed", "shipped", runAs.Id),
            ("changed_in_asana", "task completed_at changed", runAs.Id),
        }));
        Assert.That(_asana.Requests.Select(r => r.Authorization), Has.All.EqualTo($"Bearer {Token}"));
    }

    [Test]
    public async Task Comment_story_becomes_a_comment_with_the_text_and_author_read_from_Asana_and_its_edit_changes_it()
    {
        _asana.On("stories/555", Json("""{"data":{"gid":"555","text":"Ready for review","created_by":{"gid":"1","name":"Ada Asana"}}}"""));
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await AsanaIntegrationAsync(scenario, product, runAs);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, TaskGid);
        var body = AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event("555", "story", "added", parentGid: TaskGid, parentType: "task", subtype: "comment_added"));

        var delivery = await DeliverAsync(integration, System.Text.Encoding.UTF8.GetBytes(body));

        Assert.That((delivery.Status, delivery.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), delivery.LastError);
        var comment = (await CommentsOnAsync(record)).Single();
        Assert.That((comment.Body, comment.SourceAuthor, comment.SourceExternalId, comment.AuthorUserId, comment.SourceProvider),
            Is.EqualTo(("Ready for review", "Ada Asana", "555", runAs.Id, (Provider?)Provider.Asana)));

        // Asana names no parent on a comment edit: the story's target says which task it is on.
        _asana.On("stories/555", Json("""{"data":{"gid":"555","text":"Ready for review, v2","created_by":{"name":"Ada Asana"},"target":{"gid":"1199170056173519"}}}"""));
        var editBody = AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event("555", "story", "changed", subtype: "comment_added", createdAt: "2021-10-29T03:00:00.000Z"));

        var edit = await DeliverAsync(integration, System.Text.Encoding.UTF8.GetBytes(editBody));

        Assert.That((edit.Status, edit.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), edit.LastError);
        Assert.That((await CommentsOnAsync(record)).Single().Body, Is.EqualTo("Ready for review, v2"));
    }

    [Test]
    public async Task Without_API_credentials_the_change_is_recorded_in_history_and_the_delivery_says_why()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await AsanaIntegrationAsync(scenario, product, runAs, credentials: false);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, TaskGid);

        var delivery = await DeliverAsync(integration, Completed);

        Assert.That((delivery.Status, delivery.Applied, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, ItemFetching.NoCredentials)));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.After, a.UserId)), Is.EqualTo(new[]
        {
            ("changed_in_asana", "task completed changed", runAs.Id),
            ("changed_in_asana", "task completed_at changed", runAs.Id),
        }));
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("new"));
        Assert.That(_asana.Requests, Is.Empty);
    }

    [Test]
    public async Task Task_gone_from_Asana_is_recorded_in_history_and_not_retried()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await AsanaIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration, TaskGid);

        var delivery = await DeliverAsync(integration, Completed);

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Processed, 1)));
        Assert.That(delivery.LastError, Does.Contain("no longer exist in asana (404)"));
        Assert.That((await AuditOfAsync(record)).Select(a => a.After), Does.Contain("task completed changed; no longer in asana (404)"));
        Assert.That(_asana.CountOf($"tasks/{TaskGid}"), Is.EqualTo(1));
    }

    [Test]
    public async Task Asana_API_failing_past_its_retries_dead_letters_the_delivery_without_recording_the_token()
    {
        _asana.On($"tasks/{TaskGid}", Status(503));
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await AsanaIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration, TaskGid);

        var delivery = await StoreDeliveryAsync(integration, Completed);
        await _worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.DeadLettered);

        Assert.That(outcome.LastError, Does.Contain("answered 503"));
        Assert.That(outcome.LastError, Does.Not.Contain(Token));
        Assert.That(outcome.Attempts, Is.EqualTo(3), "the first attempt and Workers:RetryLimit=2 retries");
        Assert.That(await AuditOfAsync(record), Is.Empty);
    }
}
