using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Rally end to end (see <see cref="GitHubEndToEndTests"/>): change messages posted to the ingress as Rally posts them
/// (unsigned), then through RabbitMQ to a real worker host.
/// </summary>
public sealed class RallyEndToEndTests
{
    private const string Mappings = """{"statusMappings":{"Defined":"new","In-Progress":"in_progress","Accepted":"shipped"}}""";
    private ProviderScenario _rally = null!;

    [OneTimeSetUp]
    public async Task Start_a_worker_for_Rally() => _rally = await ProviderScenario.StartAsync(Provider.Rally);

    [OneTimeTearDown]
    public async Task Stop_it() => await _rally.DisposeAsync();

    [Test]
    public async Task Discussion_post_and_schedule_state_land_on_the_linked_record_as_the_run_as_user()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await _rally.CreateIntegrationAsync(scenario, product, runAs, Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: RallyPayloads.StoryId);

        var post = await _rally.DeliverAsync(integration, RallyPayloads.Post("Created", "m-post", "c0000000-0000-0000-0000-0000000000aa", "<p>Looks good</p>", version: 1));
        var accepted = await _rally.DeliverAsync(integration, RallyPayloads.StoryUpdated("m-accepted", version: 8,
            changes: [RallyPayloads.Attribute("ScheduleState", "Accepted", "In-Progress")]));

        Assert.That((post.Status, post.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), post.LastError);
        Assert.That((accepted.Status, accepted.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), accepted.LastError);
        var saved = (await CommentsOnAsync(record)).Single();
        Assert.That((saved.Body, saved.AuthorUserId, saved.SourceProvider, saved.SourceExternalId, saved.SourceAuthor),
            Is.EqualTo(("<p>Looks good</p>", runAs.Id, (Provider?)Provider.Rally, "c0000000-0000-0000-0000-0000000000aa", "Carlos Munoz")));
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.UpdatedByUserId), Is.EqualTo(("shipped", (Guid?)runAs.Id)));
    }

    [Test]
    public async Task A_lower_version_delivered_later_never_overwrites_a_higher_one()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await _rally.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: RallyPayloads.StoryId);

        await _rally.DeliverAsync(integration, RallyPayloads.StoryUpdated("m-v10", version: 10,
            changes: [RallyPayloads.Attribute("ScheduleState", "Accepted", "In-Progress"), RallyPayloads.Attribute("Name", "Final name", "Draft")]));
        var older = await _rally.DeliverAsync(integration, RallyPayloads.StoryUpdated("m-v9", version: 9,
            changes: [RallyPayloads.Attribute("ScheduleState", "In-Progress", "Defined"), RallyPayloads.Attribute("Name", "Draft", "Original")]));

        Assert.That(older.Status, Is.EqualTo(DeliveryStatus.Processed), older.LastError);
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.Name), Is.EqualTo(("shipped", "Final name")));
    }

    [Test]
    public async Task The_same_change_message_through_two_webhooks_is_applied_once_per_record()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await _rally.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("One", product), Mappings);
        var second = await _rally.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Two", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, first, externalId: "a75e6aba-670c-4954-8c34-4cd3f7ffbc8f");
        var body = PayloadFixtures.Read(Provider.Rally, "investment.updated.json");

        var applied = await _rally.DeliverAsync(first, body);
        var duplicate = await _rally.DeliverAsync(second, body);

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), applied.LastError);
        Assert.That((duplicate.Status, duplicate.Applied, duplicate.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 1)), duplicate.LastError);
        Assert.That((await AuditOfAsync(record)).Select(a => a.Action), Is.EqualTo(new[] { "field_changed:rally:InvestmentCategory" }));
    }
}
