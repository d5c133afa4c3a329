using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>
/// Transient failures, provoked in the database itself: a trigger on the ledger raises a serialization failure
/// (SQLSTATE 40001, a real NpgsqlException) for a chosen delivery while its attempt count is within a limit.
/// Nothing in the worker knows about it. The shared worker host retries twice (Workers:RetryLimit=2).
/// </summary>
public sealed class RetryTests
{
    [OneTimeSetUp]
    public async Task Install_the_failure_trigger()
    {
        await using var db = NewContext();
        await db.Database.ExecuteSqlRawAsync("""
            CREATE TABLE IF NOT EXISTS test_injected_failures (delivery_id uuid PRIMARY KEY, failing_attempts int NOT NULL);
            CREATE OR REPLACE FUNCTION test_inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM test_injected_failures f JOIN deliveries d ON d.id = f.delivery_id
                         WHERE f.delivery_id = NEW.delivery_id AND d.attempts <= f.failing_attempts) THEN
                RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
              END IF;
              RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS test_inject_failure ON applied_changes;
            CREATE TRIGGER test_inject_failure BEFORE INSERT ON applied_changes FOR EACH ROW EXECUTE FUNCTION test_inject_failure();
            """);
    }

    [OneTimeTearDown]
    public async Task Remove_the_failure_trigger()
    {
        await using var db = NewContext();
        await db.Database.ExecuteSqlRawAsync("DROP TRIGGER IF EXISTS test_inject_failure ON applied_changes;");
    }

    private static async Task FailAttemptsAsync(Delivery delivery, int attempts)
    {
        await using var db = NewContext();
        await db.Database.ExecuteSqlAsync($"INSERT INTO test_injected_failures (delivery_id, failing_attempts) VALUES ({delivery.Id}, {attempts})");
    }

    [Test]
    public async Task Transient_database_failure_is_retried_and_the_change_applied_once()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var delivery = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await FailAttemptsAsync(delivery, 2);

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
        await FailAttemptsAsync(delivery, int.MaxValue);
        var errorQueue = QueueNames.ErrorQueueFor(Provider.Jira);
        var before = await WorkersSetUp.VirtualHost.CountMessagesAsync(errorQueue);

        await WorkersSetUp.Worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id);

        Assert.That((outcome.Status, outcome.Attempts), Is.EqualTo((DeliveryStatus.DeadLettered, 3)));
        Assert.That(outcome.LastError, Does.Contain("injected transient failure"));
        Assert.That(await CommentsOnAsync(record), Is.Empty);
        // The management API refreshes its counts every few seconds: poll, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var count = before;
        while (count <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            count = await WorkersSetUp.VirtualHost.CountMessagesAsync(errorQueue);
        }
        Assert.That(count, Is.GreaterThan(before), $"no new message in {errorQueue}");
    }
}
