using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Operations.DeadLetters;
using Webhooks.Workers.Commands;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>
/// The operator's dead-letter round trip: a failure past the retry limit, the message in webhooks-jira_error, the
/// fault fixed, <c>dead-letters replay</c> (the delivery back through the ingress's outbox), the change applied once.
/// Each test has a worker, an ingress and a vhost of its own.
/// </summary>
[NonParallelizable]
public sealed class DeadLetterCommandTests : WorkerWithLinkedRecord
{
    [Test]
    public async Task Dead_lettered_delivery_is_listed_shown_replayed_once_and_ends_processed()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));

        var (listed, list) = await Broker.RunAsync("dead-letters", "list", "--provider", "jira");
        var (shown, show) = await Broker.RunAsync("dead-letters", "show", delivery.Id.ToString());
        Assert.That((listed, shown), Is.EqualTo((0, 0)), list + show);
        Assert.That(list, Does.Contain("webhooks-jira_error: 1 message(s)").And.Contain(delivery.Id.ToString())
            .And.Contain("PostgresException").And.Contain(Integration.Name).And.Contain("injected transient failure"));
        Assert.That(show, Does.Contain(delivery.Id.ToString()).And.Contain("MT-Fault-ExceptionType").And.Contain("PostgresException")
            .And.Contain("dead_lettered").And.Contain(Integration.Name).And.Contain("account status:").And.Contain("active"));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 1);

        await DeadLetterScenario.RemoveFaultAsync(delivery);
        // The id as an argument, as `show <id>` takes it (the same as --message-id), after an option.
        var (replayed, replay) = await Broker.RunAsync("dead-letters", "replay", "--provider", "jira", delivery.Id.ToString());

        Assert.That(replayed, Is.Zero, replay);
        var outcome = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed, DeliveryStatus.Duplicate);
        Assert.That((outcome.Status, outcome.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)));
        Assert.That(await CommentsOnAsync(Record), Has.Count.EqualTo(1));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 0);
    }

    [Test]
    public async Task List_as_json_gives_the_delivery_integration_reason_and_attempts()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));

        var (exitCode, output) = await Broker.RunAsync("dead-letters", "list", "--provider", "jira", "--json");

        Assert.That(exitCode, Is.Zero, output);
        using var json = JsonDocument.Parse(output);
        var message = json.RootElement[0].GetProperty("messages")[0];
        Assert.That(message.GetProperty("deliveryId").GetGuid(), Is.EqualTo(delivery.Id));
        Assert.That(message.GetProperty("integrationId").GetGuid(), Is.EqualTo(Integration.Id));
        Assert.That(message.GetProperty("attempts").GetInt32(), Is.EqualTo(3), "the first attempt and two retries (Workers:RetryLimit=2)");
        Assert.That(message.GetProperty("exceptionType").GetString(), Does.Contain("PostgresException"));
        Assert.That(message.GetProperty("failedAt").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(2)));
    }

    [Test]
    public async Task Replay_with_a_filter_leaves_non_matching_messages_in_the_error_queue()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));
        var orphan = await Broker.SendOrphanAsync(Integration);
        await DeadLetterScenario.RemoveFaultAsync(delivery);

        var (dryExit, dryRun) = await Broker.RunAsync("dead-letters", "replay", "--exception", "PostgresException", "--dry-run");
        Assert.That(dryExit, Is.Zero, dryRun);
        Assert.That(dryRun, Does.Contain($"Would replay {delivery.Id}").And.Not.Contain(orphan.ToString()));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 2);

        var (exitCode, output) = await Broker.RunAsync("dead-letters", "replay", "--exception", "PostgresException");

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("Replayed 1 message(s); 1 not matching left"));
        Assert.That((await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed)).Applied, Is.EqualTo(1));
        var (_, list) = await Broker.RunAsync("dead-letters", "list", "--provider", "jira");
        Assert.That(list, Does.Contain(orphan.ToString()).And.Contain(nameof(Workers.Deliveries.PermanentDeliveryException)).And.Not.Contain(delivery.Id.ToString()));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 1);
    }

    [Test]
    public async Task Purge_archives_and_removes_only_the_matching_messages()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));
        var orphan = await Broker.SendOrphanAsync(Integration);
        var archive = Path.Combine(Path.GetTempPath(), $"dead-letters-{Guid.NewGuid():N}.jsonl");
        try
        {
            var (exitCode, output) = await Broker.RunAsync("dead-letters", "purge", "--exception", "PermanentDeliveryException", "--yes", "--archive", archive);

            Assert.That(exitCode, Is.Zero, output);
            var lines = await File.ReadAllLinesAsync(archive);
            Assert.That(lines, Has.Length.EqualTo(1));
            var archived = JsonSerializer.Deserialize<ArchivedDeadLetter>(lines[0])!;
            Assert.That(archived.MessageId, Is.EqualTo(orphan.ToString()));
            Assert.That(archived.Headers["MT-Fault-ExceptionType"], Does.Contain("PermanentDeliveryException"));
            Assert.That(Convert.FromBase64String(archived.BodyBase64), Is.Not.Empty);
            var (_, list) = await Broker.RunAsync("dead-letters", "list", "--provider", "jira");
            Assert.That(list, Does.Contain(delivery.Id.ToString()).And.Not.Contain(orphan.ToString()));
        }
        finally
        {
            File.Delete(archive);
        }
    }

    [Test]
    public async Task Purge_asks_first_and_a_no_removes_nothing()
    {
        await Broker.SendOrphanAsync(Integration);

        var (answeredNo, output) = await Broker.RunAsync(new StringReader("n\n"), "dead-letters", "purge", "--all");
        var (noAnswer, refusal) = await Broker.RunAsync(new StringReader(""), "dead-letters", "purge", "--all");

        Assert.That(answeredNo, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("[y/N]").And.Contain("Nothing purged"));
        Assert.That(noAnswer, Is.EqualTo(2), "standard input ended without an answer: without --yes it is a usage error");
        Assert.That(refusal, Does.Contain("--yes"));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 1);
    }

    [Test]
    public async Task Purge_of_one_providers_queue_takes_a_yes_piped_on_standard_input()
    {
        // echo y | webhooks-worker dead-letters purge --provider jira: the provider alone selects its whole error queue.
        await Broker.SendOrphanAsync(Integration);

        var (exitCode, output) = await Broker.RunAsync(new StringReader("y\n"), "dead-letters", "purge", "--provider", "jira");

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("webhooks-jira_error").And.Contain("Purged 1 message(s)"));
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 0);
    }

    [Test]
    public async Task Replay_interrupted_between_the_outbox_commit_and_the_ack_leaves_the_message_and_a_second_replay_applies_nothing_twice()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));
        await DeadLetterScenario.RemoveFaultAsync(delivery);
        var transport = new RabbitMqTransportOptions
        {
            Host = TestServices.RabbitHost, Port = TestServices.RabbitPort, VHost = Broker.VirtualHost.Name,
            User = TestServices.WorkerBrokerUser.Name, Pass = TestServices.WorkerBrokerUser.Password,
        };

        await using (var broker = await ErrorQueueBroker.ConnectAsync(transport, "", CancellationToken.None))
        await using (var db = NewContext())
        {
            // The delivery is back in the outbox (committed); then the "process dies" before the ack: the channel goes, the message comes back.
            var queues = new DeadLetterQueues(broker, db) { AfterOutboxCommit = pass => pass.AbortAsync() };
            Assert.CatchAsync(() => queues.ReplayAsync(Provider.Jira, new DeadLetterFilter(), dryRun: false, max: 1, replayId: null, CancellationToken.None));
        }
        var first = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed);
        Assert.That(first.Applied, Is.EqualTo(1), "the replay was not lost: its delivery went through the outbox");
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 1);

        var (exitCode, output) = await Broker.RunAsync("dead-letters", "replay", "--all");

        Assert.That(exitCode, Is.Zero, output);
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 0);
        var second = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Duplicate);
        Assert.That((second.Applied, second.Duplicates), Is.EqualTo((0, 1)), "processed again, and the ledger applied nothing twice");
        Assert.That(await CommentsOnAsync(Record), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Replayed_delivery_that_fails_again_is_dead_lettered_again_and_shows_its_replay()
    {
        var delivery = await Broker.DeadLetterAsync(Integration, JiraPayloads.Fixture("comment_created.json"));

        var (exitCode, output) = await Broker.RunAsync("dead-letters", "replay", "--all");

        Assert.That(exitCode, Is.Zero, output);
        var replayId = Regex.Match(output, "replay ([0-9a-f-]{36})").Groups[1].Value;
        Assert.That(replayId, Is.Not.Empty, output);
        await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.DeadLettered);
        await Broker.WaitForCountAsync(DeadLetterScenario.ErrorQueue, 1);
        var (_, show) = await Broker.RunAsync("dead-letters", "show", delivery.Id.ToString());
        Assert.That(show, Does.Contain($"last replay:       {replayId}").And.Contain("attempts:          6").And.Contain("dead_lettered")
            .And.Contain("MT-Fault-ExceptionType"));
        Assert.That(await CommentsOnAsync(Record), Is.Empty);
    }

    [Test]
    public async Task Replay_without_a_selection_or_with_an_unknown_provider_is_a_usage_error()
    {
        var (noSelection, first) = await Broker.RunAsync("dead-letters", "replay");
        var (unknownProvider, second) = await Broker.RunAsync("dead-letters", "list", "--provider", "jora");
        var (badDate, third) = await Broker.RunAsync("dead-letters", "replay", "--since", "yesterday-ish");

        Assert.That((noSelection, unknownProvider, badDate), Is.EqualTo((2, 2, 2)), first + second + third);
        Assert.That(first, Does.Contain("--all"));
        Assert.That(second, Does.Contain("'jora'").And.Contain("jira"));
        Assert.That(third, Does.Contain("ISO 8601"));
    }

    [Test]
    public async Task Unreachable_broker_fails_naming_the_host_vhost_and_the_variables_to_set()
    {
        using var output = new StringWriter();

        var exitCode = await WorkerCommands.RunAsync(
            ["dead-letters", "list", "--RabbitMqTransport:Host=127.0.0.1", "--RabbitMqTransport:Port=1", "--RabbitMqTransport:VHost=ops",
             $"--ConnectionStrings:Webhooks={WorkersSetUp.Database.ConnectionString}"], output);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(output.ToString(), Does.Contain("127.0.0.1:1").And.Contain("vhost 'ops'").And.Contain("RabbitMqTransport__Host"));
    }
}
