using System.Text;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Tests.Hostile;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>Deliveries that change nothing: each outcome is recorded on the delivery with its reason, and none is retried.</summary>
public sealed class DeliveryOutcomeTests
{
    private WorkerScenario _scenario = null!;
    private Product _product = null!;
    private User _runAs = null!;

    [SetUp]
    public async Task A_product_with_a_writer()
    {
        _scenario = await CreateAsync();
        _product = await _scenario.CreateProductAsync("P");
        _runAs = await _scenario.CreateWriterAsync("Runner", _product);
    }

    [Test]
    public async Task Unknown_event_is_ignored_with_the_reason()
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs);
        await _scenario.CreateLinkedRecordAsync(_product, integration);

        var delivery = await DeliverAsync(integration, Encoding.UTF8.GetBytes("""{"timestamp":1,"webhookEvent":"jira:worklog_updated","issue":{"id":"10040"}}"""));

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Ignored, 1)));
        Assert.That(delivery.LastError, Does.Contain("jira:worklog_updated"));
    }

    [Test]
    public async Task Malformed_body_fails_with_the_reason_and_is_not_retried()
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs);
        var record = await _scenario.CreateLinkedRecordAsync(_product, integration);

        var delivery = await DeliverAsync(integration, Encoding.UTF8.GetBytes("{\"webhookEvent\": \"comment_created\", \"comm"));

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
        Assert.That(delivery.LastError, Does.StartWith("Not a Jira webhook"));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
    }

    [Test]
    public async Task Circular_template_chain_fails_the_delivery_with_the_reason()
    {
        var first = await _scenario.CreateIntegrationAsync(_product, _runAs, settings: "{}");
        var second = await _scenario.CreateIntegrationAsync(_product, _runAs, settings: "{}", templateId: first.Id);
        await SetTemplateAsync(first.Id, second.Id);
        var record = await _scenario.CreateLinkedRecordAsync(_product, first);

        var delivery = await DeliverFixtureAsync(first, "jira_issue_updated.status_done.json");

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
        Assert.That(delivery.LastError, Does.StartWith("Circular template chain").And.Contain(first.Name).And.Contain(second.Name));
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("new"));
        Assert.That(await AuditOfAsync(record), Is.Empty, "nothing of the delivery is half-applied");
    }

    [Test]
    public async Task A_standard_integration_that_takes_its_mapping_from_a_circular_template_chain_fails_the_delivery_with_the_reason()
    {
        // No mapping of its own, so its events are read with its templates': a chain that leads back here has none to give.
        var first = await _scenario.CreateIntegrationAsync(_product, _runAs, settings: "{}", provider: Provider.Standard, signingSecret: HostileSender.StandardSecret);
        var second = await _scenario.CreateIntegrationAsync(_product, _runAs, settings: """{"mapping":{"itemId":"/data/id","types":{}}}""",
            templateId: first.Id, provider: Provider.Standard);
        await SetTemplateAsync(first.Id, second.Id);

        await using var worker = await WorkerApplication.StartAsync("--Workers:Providers=standard");

        var delivery = await DeliverAsync(first, PayloadFixtures.Read(Provider.Standard, "contact.created.full.json"), worker);

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
        Assert.That(delivery.LastError, Does.StartWith("Circular template chain").And.Contain(first.Name).And.Contain(second.Name));
    }

    [Test]
    public async Task Unmapped_status_fails_the_delivery_with_the_reason()
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs, settings: """{"statusMappings":{"To Do":"new"}}""");
        var record = await _scenario.CreateLinkedRecordAsync(_product, integration);

        var delivery = await DeliverFixtureAsync(integration, "jira_issue_updated.status_done.json");

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
        Assert.That(delivery.LastError, Does.StartWith("Unmapped status 'Done'"));
        Assert.That(await AuditOfAsync(record), Is.Empty);
    }

    [Test]
    public async Task Delivery_of_an_integration_disabled_since_it_was_received_is_ignored()
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs);
        var record = await _scenario.CreateLinkedRecordAsync(_product, integration);
        var received = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await PatchIntegrationAsync(integration.Id, new { enabled = false });

        await WorkersSetUp.Worker.SendAsync(received);
        var delivery = await WaitForOutcomeAsync(received.Id);

        Assert.That((delivery.Status, delivery.LastError), Is.EqualTo((DeliveryStatus.Ignored, "The integration is disabled.")));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
    }

    [TestCase(AccountStatus.Suspended)]
    [TestCase(AccountStatus.Disabled)]
    public async Task Delivery_of_an_account_no_longer_active_is_ignored(AccountStatus status)
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs);
        var record = await _scenario.CreateLinkedRecordAsync(_product, integration);
        var received = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await _scenario.SetAccountStatusAsync(status);

        await WorkersSetUp.Worker.SendAsync(received);
        var delivery = await WaitForOutcomeAsync(received.Id);

        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Ignored));
        Assert.That(delivery.LastError, Does.Contain(status.ToString().ToLowerInvariant()));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
    }

    [Test]
    public async Task Sender_retry_of_a_stored_delivery_is_a_duplicate_and_not_applied()
    {
        var integration = await _scenario.CreateIntegrationAsync(_product, _runAs);
        await _scenario.CreateLinkedRecordAsync(_product, integration);
        var body = JiraPayloads.Fixture("comment_created.json");
        var original = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "atlassian-42");
        var retry = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "atlassian-42");

        await WorkersSetUp.Worker.SendAsync(retry);
        var outcome = await WaitForOutcomeAsync(retry.Id);

        Assert.That((outcome.Status, outcome.Applied, outcome.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 0)));
        Assert.That(outcome.LastError, Does.Contain(original.Id.ToString()));
    }
}
