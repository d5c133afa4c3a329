using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Salesforce end to end (see <see cref="GitHubEndToEndTests"/>): outbound messages posted to the ingress as Salesforce
/// posts them (SOAP, text/xml, unsigned), then through RabbitMQ to a real worker host.
/// </summary>
public sealed class SalesforceEndToEndTests
{
    private const string Mappings = """{"statusMappings":{"Open - Not Contacted":"triage","Prospecting":"new","Closed Won":"shipped"}}""";
    private ProviderScenario _salesforce = null!;

    [OneTimeSetUp]
    public async Task Start_a_worker_for_Salesforce() => _salesforce = await ProviderScenario.StartAsync(Provider.Salesforce);

    [OneTimeTearDown]
    public async Task Stop_it() => await _salesforce.DisposeAsync();

    [Test]
    public async Task Each_notification_of_the_lead_message_updates_its_linked_record_as_the_run_as_user()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await _salesforce.CreateIntegrationAsync(scenario, product, runAs, Mappings);
        var first = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "0123456789ABCDEEAE");
        var third = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "2123456789ABCDEEAE");

        var delivery = await _salesforce.DeliverAsync(integration, PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml"));

        // Two records linked, each gets status and description; the second lead is linked to nothing.
        Assert.That((delivery.Status, delivery.Applied, delivery.NoTarget), Is.EqualTo((DeliveryStatus.Processed, 4, 2)), delivery.LastError);
        foreach (var record in new[] { first, third })
        {
            var reloaded = await ReloadAsync(record);
            Assert.That((reloaded.Status, reloaded.Description, reloaded.UpdatedByUserId), Is.EqualTo(("triage", "Some notes...", (Guid?)runAs.Id)));
            Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.UserId)),
                Is.EqualTo(new[] { ("status_changed", runAs.Id), ("description_changed", runAs.Id) }));
        }
    }

    /// <summary>The ingress stores the message with its live session id replaced by "[redacted]": the worker never needs it.</summary>
    [Test]
    public async Task Lead_message_stored_with_its_session_id_redacted_is_applied_the_same()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await _salesforce.CreateIntegrationAsync(scenario, product, runAs, Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "0123456789ABCDEEAE");
        var message = System.Text.Encoding.UTF8.GetString(PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml"));
        var redacted = System.Text.RegularExpressions.Regex.Replace(message, "<SessionId>[^<]*</SessionId>", "<SessionId>[redacted]</SessionId>");
        Assert.That(redacted, Is.Not.EqualTo(message), "the fixture carries a session id");

        var delivery = await _salesforce.DeliverAsync(integration, System.Text.Encoding.UTF8.GetBytes(redacted));

        Assert.That((delivery.Status, delivery.Applied), Is.EqualTo((DeliveryStatus.Processed, 2)), delivery.LastError);
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.Description), Is.EqualTo(("triage", "Some notes...")));
    }

    [Test]
    public async Task An_older_revision_delivered_later_leaves_the_newer_stage()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await _salesforce.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Runner", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "006000000000001AAA");

        await _salesforce.DeliverAsync(integration, Bytes(SalesforcePayloads.Message(SalesforcePayloads.Opportunity("006000000000001AAA", "Closed Won", "Big deal", "2024-03-02T10:00:00.000Z"))));
        var older = await _salesforce.DeliverAsync(integration, Bytes(SalesforcePayloads.Message(SalesforcePayloads.Opportunity("006000000000001AAA", "Prospecting", "Deal", "2024-03-01T10:00:00.000Z"))));

        Assert.That(older.Status, Is.EqualTo(DeliveryStatus.Processed), older.LastError);
        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Status, reloaded.Name), Is.EqualTo(("shipped", "Big deal")));
    }

    [Test]
    public async Task The_same_revision_through_two_outbound_messages_is_applied_once_per_record()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await _salesforce.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("One", product), Mappings);
        var second = await _salesforce.CreateIntegrationAsync(scenario, product, await scenario.CreateWriterAsync("Two", product), Mappings);
        var record = await scenario.CreateLinkedRecordAsync(product, first, externalId: "0123456789ABCDEEAE");
        var body = PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml");

        var applied = await _salesforce.DeliverAsync(first, body);
        var duplicate = await _salesforce.DeliverAsync(second, body);

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 2)), applied.LastError);
        Assert.That((duplicate.Applied, duplicate.Duplicates), Is.EqualTo((0, 2)), duplicate.LastError);
        Assert.That((await AuditOfAsync(record)).Count(a => a.Action == "status_changed"), Is.EqualTo(1));
    }

    private static byte[] Bytes(string xml) => System.Text.Encoding.UTF8.GetBytes(xml);
}
