using System.Text;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Testing;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Tests.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Smartsheet on the real stack: the delivery stored with a real callback body, ProcessDelivery through RabbitMQ to a
/// worker that consumes <c>webhooks-smartsheet</c>, and the row or comment read from a loopback fake of the API.
/// </summary>
public sealed class SmartsheetEndToEndTests
{
    // From event_callback.rows_updated.json: the sheet, the row whose status cell changed, and that column.
    private const string SheetId = "1229759569678212";
    private const string RowId = "6151780615131012";
    private const string OtherRowId = "2862041824825220";
    private const string Token = "smartsheet-token-do-not-log-42";
    private WorkerApplication _worker = null!;
    private FakeProviderApi _smartsheet = null!;

    [OneTimeSetUp]
    public async Task Start_a_Smartsheet_worker() =>
        _worker = await WorkerApplication.StartAsync(
            "--Workers:Providers=smartsheet", "--Fetching:RetryCount=1", "--Fetching:RetryBaseDelay=00:00:00.020", "--Fetching:AttemptTimeout=00:00:02");

    [OneTimeTearDown]
    public async Task Stop_the_worker() => await _worker.DisposeAsync();

    [SetUp]
    public async Task Start_the_fake_api() => _smartsheet = await StartAsync();

    [TearDown]
    public async Task Stop_the_fake_api() => await _smartsheet.DisposeAsync();

    private async Task<Integration> SmartsheetIntegrationAsync(WorkerScenario scenario, Product product, User runAs, bool credentials = true)
    {
        var integration = await scenario.CreateIntegrationAsync(product, runAs);
        var api = credentials ? $$""","apiBaseUrl":"{{_smartsheet.BaseUrl}}","apiToken":"{{Token}}","statusColumn":"Stage" """ : "";
        var settings = $$"""{"statusMappings":{"Done":"shipped"}{{api}}}""";
        await UpdateIntegrationAsync(integration.Id, i => (i.Provider, i.Settings) = (Provider.Smartsheet, settings));
        (integration.Provider, integration.Settings) = (Provider.Smartsheet, settings);
        return integration;
    }

    private Task<Delivery> DeliverAsync(Integration integration, byte[] body) => WorkerScenario.DeliverAsync(integration, body, _worker);

    private static byte[] RowsUpdated => PayloadFixtures.Read(Provider.Smartsheet, "event_callback.rows_updated.json");

    [Test]
    public async Task Status_cell_through_two_webhooks_sets_the_mapped_status_once_as_the_run_as_user()
    {
        _smartsheet.On($"sheets/{SheetId}/rows/{RowId}", Json("""
            {"id":6151780615131012,"columns":[{"id":1,"title":"Task","primary":true},{"id":2477271520333700,"title":"Stage"}],
             "cells":[{"columnId":1,"value":"Row"},{"columnId":2477271520333700,"value":"Done","displayValue":"Done"}]}
            """));
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var first = await SmartsheetIntegrationAsync(scenario, product, runAs);
        var second = await SmartsheetIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Other", product));
        var record = await scenario.CreateLinkedRecordAsync(product, first, RowId);

        var applied = await DeliverAsync(first, RowsUpdated);
        var again = await DeliverAsync(second, RowsUpdated);

        // The linked row: row.updated (history) and its Stage cell (status). The other row links to nothing.
        Assert.That((applied.Status, applied.Applied, applied.Duplicates, applied.NoTarget, applied.LastError),
            Is.EqualTo((DeliveryStatus.Processed, 2, 0, 2, (string?)null)));
        Assert.That((again.Applied, again.Duplicates, again.NoTarget), Is.EqualTo((0, 2, 2)));
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.UpdatedByUserId), Is.EqualTo(("shipped", (Guid?)runAs.Id)));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.After, a.UserId)), Is.EquivalentTo(new[]
        {
            ("changed_in_smartsheet", "row updated", runAs.Id),
            ("status_changed", "shipped", runAs.Id),
        }));
        Assert.That(_smartsheet.Requests.Select(r => r.Path), Has.None.Contains(OtherRowId), "a row no record links to is not fetched");
        Assert.That(_smartsheet.Requests.Select(r => r.Authorization), Has.All.EqualTo($"Bearer {Token}"));
    }

    [Test]
    public async Task Comment_on_a_row_becomes_a_comment_with_the_text_and_author_read_from_Smartsheet()
    {
        _smartsheet.On($"sheets/{SheetId}/comments/777", Json("""{"id":777,"text":"Blocked on legal","createdBy":{"name":"Sam Sheet","email":"sam@example.test"}}"""));
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await SmartsheetIntegrationAsync(scenario, product, runAs);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, RowId);
        var body = SmartsheetPayloadParserTests.Callback(
            SmartsheetPayloadParserTests.Event("sheet", "updated", id: long.Parse(SheetId, System.Globalization.CultureInfo.InvariantCulture)),
            SmartsheetPayloadParserTests.Event("comment", "created", id: 777, rowId: long.Parse(RowId, System.Globalization.CultureInfo.InvariantCulture)));

        var delivery = await DeliverAsync(integration, Encoding.UTF8.GetBytes(body));

        Assert.That((delivery.Status, delivery.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), delivery.LastError);
        var comment = (await CommentsOnAsync(record)).Single();
        Assert.That((comment.Body, comment.SourceAuthor, comment.SourceExternalId, comment.AuthorUserId, comment.SourceProvider),
            Is.EqualTo(("Blocked on legal", "Sam Sheet", "777", runAs.Id, (Provider?)Provider.Smartsheet)));
    }

    [Test]
    public async Task Without_API_credentials_the_change_is_recorded_in_history_and_the_delivery_says_why()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await SmartsheetIntegrationAsync(scenario, product, runAs, credentials: false);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, RowId);

        var delivery = await DeliverAsync(integration, RowsUpdated);

        Assert.That((delivery.Status, delivery.Applied, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, ItemFetching.NoCredentials)));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.After)), Is.EqualTo(new[]
        {
            ("changed_in_smartsheet", "row updated"),
            ("changed_in_smartsheet", "cell in column 2477271520333700 updated"),
        }));
        Assert.That(_smartsheet.Requests, Is.Empty);
    }

    [Test]
    public async Task Status_change_callback_is_ignored_with_the_new_status()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await SmartsheetIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product));

        var delivery = await DeliverAsync(integration, PayloadFixtures.Read(Provider.Smartsheet, "status_change.scope_inaccessible.json"));

        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Ignored));
        Assert.That(delivery.LastError, Does.Contain("DISABLED_SCOPE_INACCESSIBLE"));
    }
}
