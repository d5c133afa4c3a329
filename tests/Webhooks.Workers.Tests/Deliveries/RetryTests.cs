using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>
/// Transient failures and shutdown, provoked in the database itself (<see cref="FailureInjection"/>): nothing in the
/// worker knows about it. The shared worker host retries twice (Workers:RetryLimit=2).
/// </summary>
public sealed class RetryTests
{
    [Test]
    public async Task Transient_database_failure_is_retried_and_the_change_applied_once()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await FailureInjection.FailAttemptsAsync(delivery.Id, 2);

        await WorkersSetUp.Worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id);

        Assert.That((outcome.Status, outcome.Attempts, outcome.Applied), Is.EqualTo((DeliveryStatus.Processed, 3, 1)), outcome.LastError);
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
        Assert.That(await AuditOfAsync(record), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Transient_failure_past_the_retry_limit_dead_letters_the_delivery_and_leaves_the_message_in_the_error_queue()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await FailureInjection.FailAttemptsAsync(delivery.Id, int.MaxValue);
        var errorQueue = QueueNames.ErrorQueueFor(Provider.Jira);
        var before = await WorkersSetUp.VirtualHost.CountMessagesAsync(errorQueue);

        await WorkersSetUp.Worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id);

        Assert.That((outcome.Status, outcome.Attempts), Is.EqualTo((DeliveryStatus.DeadLettered, 3)));
        Assert.That(outcome.LastError, Does.Contain("injected transient failure"));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
        // The management API refreshes its counts every few seconds.
        await Eventually.GetAsync($"a new message in {errorQueue}", () => WorkersSetUp.VirtualHost.CountMessagesAsync(errorQueue), count => count > before);
    }

    // 22003, a number out of range for its column, and 22P02, text not valid for its type: retrying writes the same
    // value again. 2200H, a sequence exhausted, is the database's problem, not the delivery's: retried as any other.
    [TestCase("22003", DeliveryStatus.Failed, 1)]
    [TestCase("22P02", DeliveryStatus.Failed, 1)]
    [TestCase("2200H", DeliveryStatus.DeadLettered, 3)]
    public async Task A_write_PostgreSQL_refuses_as_data_fails_the_delivery_after_one_attempt_with_the_reason(string sqlState, DeliveryStatus expected, int attempts)
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await FailureInjection.FailWithAsync(delivery.Id, sqlState);

        await WorkersSetUp.Worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id);

        Assert.That((outcome.Status, outcome.Attempts), Is.EqualTo((expected, attempts)), outcome.LastError);
        Assert.That(outcome.LastError, Does.Contain(sqlState));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
    }

    [Test]
    public async Task Stopping_a_worker_lets_its_in_flight_delivery_finish()
    {
        // A worker of its own on a vhost of its own, so no other replica can take the message.
        await using var vhost = await TestVirtualHost.CreateAsync("shutdown");
        var worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={vhost.Name}");
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await FailureInjection.SlowDownAsync(delivery.Id, TimeSpan.FromSeconds(2));

        await worker.SendAsync(delivery);
        await FailureInjection.WaitUntilAttemptingAsync(delivery.Id);
        await worker.DisposeAsync();

        await using var db = NewContext();
        var stopped = db.Deliveries.Single(d => d.Id == delivery.Id);
        Assert.That((stopped.Status, stopped.Attempts), Is.EqualTo((DeliveryStatus.Processed, 1)), "the stop waited for the in-flight delivery");
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
    }
}
