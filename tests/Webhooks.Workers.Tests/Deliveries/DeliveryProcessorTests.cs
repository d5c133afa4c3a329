using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Providers;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>The pipeline without a bus: the same services, a frozen clock, and races made exactly simultaneous.</summary>
public sealed class DeliveryProcessorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private ServiceProvider _services = null!;

    [OneTimeSetUp]
    public void Build_the_pipeline()
    {
        var builder = Host.CreateApplicationBuilder([$"--ConnectionStrings:Webhooks={WorkerApplication.WorkerConnectionString}",
            $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}"]);
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        builder.AddWebhooksDatabase(KeyRingAccess.ReadOnly);
        builder.AddPayloadParsers();
        builder.AddDeliveryProcessing();
        _services = builder.Services.BuildServiceProvider(validateScopes: true);
    }

    [OneTimeTearDown]
    public async Task Dispose_the_pipeline() => await _services.DisposeAsync();

    private async Task<DeliveryOutcome> ProcessAsync(Delivery delivery)
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessAsync(delivery.Id, CancellationToken.None);
    }

    [Test]
    public async Task Second_copy_of_a_finished_delivery_keeps_its_outcome_and_applies_nothing()
    {
        // The outbox may publish a delivery twice, and a lost ack brings a message back: neither may rewrite the log.
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await ProcessAsync(delivery);
        var auditBefore = await AuditOfAsync(record);

        var again = await ProcessAsync(delivery);

        Assert.That(again.Reason, Is.EqualTo(DeliveryProcessor.AlreadyFinished));
        await using var db = NewContext();
        var row = db.Deliveries.Single(d => d.Id == delivery.Id);
        Assert.That((row.Status, row.Applied, row.Duplicates, row.Attempts), Is.EqualTo((DeliveryStatus.Processed, 1, 0, 1)));
        Assert.That(await AuditOfAsync(record), Has.Count.EqualTo(auditBefore.Count));
    }

    [Test]
    public async Task Outcome_and_audit_carry_the_hosts_clock()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("jira_issue_updated.status_done.json"));

        var outcome = await ProcessAsync(delivery);

        Assert.That(outcome, Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 2)));
        await using var db = NewContext();
        Assert.That(db.Deliveries.Single(d => d.Id == delivery.Id).ProcessedAt, Is.EqualTo(Now));
        var audit = await AuditOfAsync(record);
        Assert.That(audit.Select(a => (a.Action, a.Before, a.After, a.At)), Is.EquivalentTo(new[]
        {
            ("status_changed", (string?)"new", (string?)"shipped", Now),
            ("field_changed:jira:resolution", null, "Done", Now),
        }));
    }

    [Test]
    public async Task Two_webhooks_applying_the_same_comment_at_the_same_instant_make_one_comment()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var webhooks = new List<Integration>();
        for (var i = 0; i < 4; i++)
        {
            webhooks.Add(await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync($"W{i}", product)));
        }
        var record = await scenario.CreateLinkedRecordAsync(product, webhooks[0]);
        var body = JiraPayloads.Fixture("comment_created.json");
        var deliveries = new List<Delivery>();
        foreach (var webhook in webhooks)
        {
            deliveries.Add(await StoreDeliveryAsync(webhook, body));
        }

        var outcomes = await Task.WhenAll(deliveries.Select(ProcessAsync));

        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
        Assert.That(outcomes.Count(o => o.Status == DeliveryStatus.Processed && o.Applied == 1), Is.EqualTo(1));
        Assert.That(outcomes.Count(o => o.Status == DeliveryStatus.Duplicate && o.Duplicates == 1), Is.EqualTo(3));
    }

    [Test]
    public async Task Issue_created_and_deleted_are_recorded_in_the_history_and_the_record_stays()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var deleted = await scenario.CreateLinkedRecordAsync(product, integration, externalId: "10303");

        await ProcessAsync(await StoreDeliveryAsync(integration, JiraPayloads.Fixture("jira_issue_created.json")));
        await ProcessAsync(await StoreDeliveryAsync(integration, JiraPayloads.Fixture("jira_issue_deleted.json")));

        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.After)), Is.EqualTo(new[] { ("item_created", (string?)"Unit test summary") }));
        Assert.That((await AuditOfAsync(deleted)).Select(a => a.Action), Is.EqualTo(new[] { "item_deleted" }));
        Assert.That((await ReloadAsync(deleted)).Deleted, Is.False);
    }

    [Test]
    public async Task Edit_older_than_the_comment_we_have_leaves_the_newer_body()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var older = JiraPayloads.Edit("comment_updated.json", json =>
        {
            json["comment"]!["body"] = "An older edit";
            json["comment"]!["updated"] = "2019-02-15T19:11:50.000-0800";
        });

        await ProcessAsync(await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_updated.json")));
        var outcome = await ProcessAsync(await StoreDeliveryAsync(integration, older));

        Assert.That(outcome.Applied, Is.EqualTo(1), "a new event, taken by the ledger");
        Assert.That((await CommentsOnAsync(record)).Single().Body, Is.EqualTo("Added a comment, then edited it"));
    }
}
