using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Trello end to end (see <see cref="GitHubEndToEndTests"/>): actions posted to the ingress as Trello posts them (signed
/// over the body and the callback URL with the integration's secret), then through RabbitMQ to a real worker host.
/// </summary>
public sealed class TrelloEndToEndTests
{
    private const string Mappings = """{"statusMappings":{"Chamados":"new","Chamados Realizados":"shipped","Basics":"in_progress"}}""";
    private ProviderScenario _trello = null!;

    [OneTimeSetUp]
    public async Task Start_a_worker_for_Trello() => _trello = await ProviderScenario.StartAsync(Provider.Trello);

    [OneTimeTearDown]
    public async Task Stop_it() => await _trello.DisposeAsync();

    [Test]
    public async Task Comment_edit_and_list_move_land_on_the_linked_record_as_the_run_as_user()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await _trello.CreateIntegrationAsync(scenario, product, runAs, Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: TrelloPayloads.CardId);

        var comment = await _trello.DeliverAsync(integration, TrelloPayloads.CommentCard("65a7d90edf6648c60e5a0001", "Fixed it", "2024-01-17T13:40:00.000Z"));
        var edit = await _trello.DeliverAsync(integration, TrelloPayloads.UpdateComment("65a7d90edf6648c60e5a0002", "65a7d90edf6648c60e5a0001", "Fixed it, really", "2024-01-17T13:40:30.000Z"));
        var moved = await _trello.DeliverAsync(integration, PayloadFixtures.Read(Provider.Trello, "updateCard.moved_to_list.json"));

        Assert.That(new[] { comment, edit, moved }.Select(d => (d.Status, d.Applied)), Has.All.EqualTo((DeliveryStatus.Processed, 1)),
            string.Join("; ", new[] { comment, edit, moved }.Select(d => d.LastError)));
        var saved = (await CommentsOnAsync(record)).Single();
        Assert.That((saved.Body, saved.AuthorUserId, saved.SourceProvider, saved.SourceExternalId),
            Is.EqualTo(("Fixed it, really", runAs.Id, (Provider?)Provider.Trello, "65a7d90edf6648c60e5a0001")));
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.UpdatedByUserId), Is.EqualTo(("shipped", (Guid?)runAs.Id)));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.UserId)),
            Is.EqualTo(new[] { ("comment_added", runAs.Id), ("comment_edited", runAs.Id), ("status_changed", runAs.Id) }));
    }

    [Test]
    public async Task An_older_list_move_arriving_later_leaves_the_newer_status()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await _trello.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: TrelloPayloads.CardId);

        await _trello.DeliverAsync(integration, PayloadFixtures.Read(Provider.Trello, "updateCard.moved_to_list.json"));
        var older = await _trello.DeliverAsync(integration, TrelloPayloads.MovedTo("Basics", "65a7d90edf6648c60e5a0003", "2024-01-17T13:00:00.000Z"));

        Assert.That(older.Status, Is.EqualTo(DeliveryStatus.Processed), older.LastError);
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("shipped"));
    }

    [Test]
    public async Task The_same_action_through_two_webhooks_is_applied_once_per_record()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await _trello.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("One", product), Mappings);
        var second = await _trello.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Two", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, first, externalId: "53582e2da0fac5676a714280");
        var body = PayloadFixtures.Read(Provider.Trello, "commentCard.json");

        var applied = await _trello.DeliverAsync(first, body);
        var duplicate = await _trello.DeliverAsync(second, body);

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), applied.LastError);
        Assert.That((duplicate.Status, duplicate.Applied, duplicate.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 1)), duplicate.LastError);
        Assert.That((await CommentsOnAsync(record)).Single().Body, Is.EqualTo("New comment"));
    }
}
