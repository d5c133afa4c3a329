using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Testing;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>
/// Claim checks for several deliveries (<see cref="ProcessDeliveryBatch"/>): the outbox relay sends what one pass claimed
/// of one provider as one message. Each delivery still gets its own outcome, one that fails is retried and dead-lettered
/// alone as a single-delivery message, and copies of a batch (a redelivery, a relay that died between its send and its
/// mark) apply nothing twice. Each test has a vhost of its own, so the queues hold only what it made; the deliveries
/// arrive as the sender's requests while the vhost refuses the ingress's connection, so one relay pass claims them all
/// when it returns.
/// </summary>
[NonParallelizable]
public sealed class BatchMessageTests
{
    private TestVirtualHost _vhost = null!;
    private AdminIngress? _ingress;
    private WorkerApplication? _worker;

    private static string MainQueue => QueueNames.For(Provider.Jira);
    private static string ErrorQueue => QueueNames.ErrorQueueFor(Provider.Jira);

    [SetUp]
    public async Task CreateVirtualHost()
    {
        _vhost = await TestVirtualHost.CreateAsync("batches");
        await TestBroker.DeclareProviderQueuesAsync(_vhost.Name);
    }

    [TearDown]
    public async Task StopEverything()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
        if (_ingress is not null)
        {
            await _ingress.DisposeAsync();
        }
        await _vhost.DisposeAsync();
    }

    private async Task<AdminIngress> StartIngressAsync(int? deliveriesPerMessage = null)
    {
        var settings = new Dictionary<string, string?> { ["RabbitMqTransport:VHost"] = _vhost.Name };
        if (deliveriesPerMessage is { } perMessage)
        {
            settings["Outbox:DeliveriesPerMessage"] = perMessage.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return await AdminIngress.StartNewAsync(settings: settings);
    }

    private async Task<WorkerApplication> StartWorkerAsync() =>
        _worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={_vhost.Name}");

    private static byte[] CommentCreated(string commentId) => JiraPayloads.Edit("comment_created.json", json =>
    {
        json["comment"]!["id"] = commentId;
        json["comment"]!["body"] = $"Comment {commentId}";
    });

    /// <summary>A Jira integration linked to one record, and <paramref name="count"/> comments its sender posted while the broker refused the ingress.</summary>
    private async Task<(CreatedIntegration Integration, Guid Record, List<Guid> Deliveries)> PostWhileTheBrokerIsAwayAsync(int count, int? deliveriesPerMessage = null)
    {
        _ingress = await StartIngressAsync(deliveriesPerMessage);
        var tenant = await _ingress.Admin.CreateTenantAsync();
        var integration = await _ingress.Admin.CreateIntegrationAsync(tenant, "jira", new { });
        var record = await _ingress.Admin.CreateLinkedRecordAsync(tenant, integration, JiraIssueId);
        await _vhost.BlockConnectionsAsync();
        var deliveries = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            deliveries.Add(await _ingress.PostWebhookAsync(integration, CommentCreated($"{Guid.NewGuid():N}"[..12])));
        }
        return (integration, record, deliveries);
    }

    private Task UnblockForOnePassAsync(IReadOnlyCollection<Guid> deliveries) =>
        _vhost.UnblockForOnePassAsync(WorkersSetUp.Database.ConnectionString, deliveries);

    private static Task WaitUntilPublishedAsync(IReadOnlyCollection<Guid> deliveries) =>
        Eventually.HoldsAsync("the outbox relay to publish the deliveries", async () =>
        {
            await using var db = NewContext();
            return !await db.Outbox.AnyAsync(o => o.DeliveryIds.Any(id => deliveries.Contains(id)));
        }, TimeSpan.FromSeconds(60));

    private async Task<List<JsonElement>> CommentsAsync(Guid record) =>
        [.. (await _ingress!.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray()];

    [Test]
    public async Task Deliveries_one_relay_pass_claimed_go_as_one_message_and_each_gets_its_own_outcome()
    {
        var (_, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(8);

        await UnblockForOnePassAsync(deliveries);
        await WaitUntilPublishedAsync(deliveries);

        Assert.That(await TestBroker.CountAsync(_vhost.Name, MainQueue), Is.EqualTo(1), "one claim check for the eight deliveries");
        await StartWorkerAsync();
        var outcomes = new List<Delivery>();
        foreach (var delivery in deliveries)
        {
            outcomes.Add(await WaitForOutcomeAsync(delivery));
        }
        Assert.That(outcomes.Select(o => (o.Status, o.Applied, o.Attempts)), Is.All.EqualTo((DeliveryStatus.Processed, 1, 1)));
        Assert.That(await CommentsAsync(record), Has.Count.EqualTo(8));
    }

    [Test]
    public async Task A_delivery_that_fails_in_a_batch_message_is_retried_and_dead_lettered_alone_while_the_rest_apply()
    {
        var (_, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(6);
        var failing = deliveries[3];
        // Its attempt in the batch, then alone: the first attempt and Workers:RetryLimit=2 retries; the fifth (a replay) succeeds.
        await FailureInjection.FailAttemptsAsync(failing, 4);
        await SendAsOneMessageAndApplyAllButAsync(deliveries, failing);
        var deadLettered = await WaitForOutcomeAsync(failing, DeliveryStatus.DeadLettered);
        Assert.That(deadLettered.Attempts, Is.EqualTo(4), deadLettered.LastError);
        Assert.That(deadLettered.LastError, Does.Contain("injected transient failure"));
        Assert.That((await CommentsAsync(record)).Count, Is.EqualTo(5));
        await WaitForCountAsync(ErrorQueue, 1);

        // The dead-letter list (the admin API, which the console and the command line share) shows that delivery alone.
        var page = await _ingress!.Admin.ExpectAsync(HttpMethod.Get, "/dead-letters/jira", null, HttpStatusCode.OK);
        var listed = page.GetProperty("messages").EnumerateArray().ToList();
        Assert.That(listed, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(listed[0].GetProperty("deliveryId").GetGuid(), Is.EqualTo(failing));
            Assert.That(listed[0].GetProperty("messageId").GetString(), Is.EqualTo(failing.ToString()));
            Assert.That(listed[0].GetProperty("deliveryStatus").GetString(), Is.EqualTo("dead_lettered"));
            Assert.That(listed[0].GetProperty("reason").GetString(), Does.Contain("injected transient failure"));
        });

        // Replayed from there, it is that one delivery again, and applies.
        var replay = await _ingress.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{failing}/replay", null, HttpStatusCode.Accepted);
        Assert.That(replay.GetProperty("deliveries").GetInt32(), Is.EqualTo(1));
        var replayed = await WaitForOutcomeAsync(failing, DeliveryStatus.Processed);
        Assert.That((replayed.Applied, replayed.Attempts), Is.EqualTo((1, 5)));
        Assert.That((await CommentsAsync(record)).Count, Is.EqualTo(6));
        await WaitForCountAsync(ErrorQueue, 0);
    }

    [Test]
    public async Task A_delivery_whose_data_PostgreSQL_refuses_is_failed_after_one_attempt_while_the_rest_apply_and_applies_once_replayed()
    {
        var (_, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(6);
        var refused = deliveries[2];
        // As a value too long for its column (22001) does: the same write fails on every attempt.
        await FailureInjection.FailWithAsync(refused, "22001");
        await SendAsOneMessageAndApplyAllButAsync(deliveries, refused);
        // Recorded at once, not retried into a dead letter (which would end dead_lettered after Workers:RetryLimit retries).
        var failed = await WaitForOutcomeAsync(refused);
        Assert.That((failed.Status, failed.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)), failed.LastError);
        Assert.That(failed.LastError, Does.Contain("PostgreSQL refused").And.Contain("22001: injected failure 22001"));
        Assert.That((await CommentsAsync(record)).Count, Is.EqualTo(5));
        await WaitForCountAsync(MainQueue, 0);

        // The operator fixes the cause and replays the stored delivery: it applies, once.
        await FailureInjection.HealAsync(refused);
        await _ingress!.Admin.ExpectAsync(HttpMethod.Post, $"/deliveries/{refused}/replay", null, HttpStatusCode.Accepted);
        var replayed = await WaitForOutcomeAsync(refused, DeliveryStatus.Processed);
        Assert.That((replayed.Applied, replayed.Attempts), Is.EqualTo((1, 2)));
        Assert.That((await CommentsAsync(record)).Count, Is.EqualTo(6));
    }

    [Test]
    public async Task A_queue_of_single_delivery_messages_from_before_the_upgrade_drains()
    {
        // An ingress from before batch messages sent one ProcessDelivery per delivery (Outbox:DeliveriesPerMessage=1 still does).
        var (_, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(12, deliveriesPerMessage: 1);
        await _vhost.UnblockConnectionsAsync();
        await WaitUntilPublishedAsync(deliveries);
        var queued = await PeekAsync(MainQueue);
        Assert.That(queued.Select(m => m.MessageId), Is.EquivalentTo(deliveries.Select(d => d.ToString())), "one message per delivery");
        Assert.That(queued.Select(m => m.MessageType), Is.All.EqualTo("urn:message:webhooks:process-delivery:v1"));

        await StartWorkerAsync();

        foreach (var delivery in deliveries)
        {
            Assert.That((await WaitForOutcomeAsync(delivery)).Status, Is.EqualTo(DeliveryStatus.Processed));
        }
        Assert.That(await CommentsAsync(record), Has.Count.EqualTo(12));
        await WaitForCountAsync(MainQueue, 0);
    }

    [Test]
    public async Task Replayed_deliveries_go_one_message_each_even_when_one_pass_claims_them_all()
    {
        var (integration, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(5);
        await _vhost.UnblockConnectionsAsync();
        await StartWorkerAsync();
        foreach (var delivery in deliveries)
        {
            Assert.That((await WaitForOutcomeAsync(delivery)).Status, Is.EqualTo(DeliveryStatus.Processed));
        }
        await _worker!.DisposeAsync();
        _worker = null;

        // The operator replays the integration's processed deliveries while no worker runs: the relay sends them all in one pass.
        var started = await _ingress!.Admin.ExpectAsync(HttpMethod.Post, "/deliveries/replay",
            new { statuses = new[] { "processed" }, integrationId = integration.Id }, HttpStatusCode.Accepted);
        Assert.That(started.GetProperty("replayed").GetInt32(), Is.EqualTo(5));
        await WaitUntilPublishedAsync(deliveries);
        var queued = await PeekAsync(MainQueue);
        Assert.That(queued.Select(m => m.MessageId), Is.EquivalentTo(deliveries.Select(d => d.ToString())), "each replayed delivery is its own message");
        Assert.That(queued.Select(m => m.MessageType), Is.All.EqualTo("urn:message:webhooks:process-delivery:v1"));

        await StartWorkerAsync();

        var progress = await _ingress.Admin.WaitForReplayAsync(started.GetProperty("replayId").GetGuid());
        Assert.That(progress.GetProperty("statuses").GetProperty("duplicate").GetInt32(), Is.EqualTo(5), "processed again, applied nothing twice");
        Assert.That(await CommentsAsync(record), Has.Count.EqualTo(5));
    }

    [Test]
    public async Task Deliveries_in_two_batch_messages_after_a_relay_died_between_send_and_mark_are_applied_once_each()
    {
        var (integration, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(6);
        await StopIngressAsync();
        await _vhost.UnblockConnectionsAsync();
        // The relay that died had sent these two (overlapping) messages, and its mark was lost with it: the rows are
        // still unpublished, so the next relay sends them all once more.
        await SendAsTheDeadRelayAsync(integration, deliveries[..4], deliveries[2..]);
        _ingress = await StartIngressAsync();
        await WaitUntilPublishedAsync(deliveries);
        Assert.That(await TestBroker.CountAsync(_vhost.Name, MainQueue), Is.EqualTo(3), "two messages from the dead relay, one from the next");

        await StartWorkerAsync();

        await AssertAppliedOnceAsync(record, deliveries);
    }

    [Test]
    public async Task A_batch_message_consumed_twice_at_once_applies_each_delivery_once()
    {
        var (integration, record, deliveries) = await PostWhileTheBrokerIsAwayAsync(10);
        await StopIngressAsync();
        await _vhost.UnblockConnectionsAsync();
        // The same message twice (a redelivery after a lost ack): the worker takes both at once.
        await SendAsTheDeadRelayAsync(integration, deliveries, deliveries);

        await StartWorkerAsync();

        await AssertAppliedOnceAsync(record, deliveries);
    }

    /// <summary>
    /// One relay pass sends the deliveries as one batch message; a worker then applies every one but <paramref name="singledOut"/>,
    /// whose outcome the test awaits itself.
    /// </summary>
    private async Task SendAsOneMessageAndApplyAllButAsync(List<Guid> deliveries, Guid singledOut)
    {
        await UnblockForOnePassAsync(deliveries);
        await WaitUntilPublishedAsync(deliveries);
        Assert.That(await TestBroker.CountAsync(_vhost.Name, MainQueue), Is.EqualTo(1), $"the {deliveries.Count} went as one message");

        await StartWorkerAsync();

        foreach (var delivery in deliveries.Where(d => d != singledOut))
        {
            Assert.That((await WaitForOutcomeAsync(delivery)).Status, Is.EqualTo(DeliveryStatus.Processed));
        }
    }

    private async Task StopIngressAsync()
    {
        await _ingress!.DisposeAsync();
        _ingress = null;
    }

    /// <summary>Sends batch messages as a relay would, from a worker host that consumes another provider's queue only.</summary>
    private async Task SendAsTheDeadRelayAsync(CreatedIntegration integration, params IEnumerable<Guid>[] batches)
    {
        await using var sender = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={_vhost.Name}", "--Workers:Providers=github");
        foreach (var batch in batches)
        {
            await sender.SendBatchAsync(Provider.Jira, integration.Id, batch);
        }
    }

    /// <summary>
    /// Every delivery processed with its change applied once, and (after the worker stopped, finishing what it had taken)
    /// every copy consumed: one comment and one history entry per delivery.
    /// </summary>
    private async Task AssertAppliedOnceAsync(Guid record, List<Guid> deliveries)
    {
        var outcomes = new List<Delivery>();
        foreach (var delivery in deliveries)
        {
            outcomes.Add(await WaitForOutcomeAsync(delivery));
        }
        await _worker!.DisposeAsync();
        _worker = null;

        Assert.That(await TestBroker.CountAsync(_vhost.Name, MainQueue), Is.Zero, "every copy was consumed");
        Assert.That(outcomes.Select(o => (o.Status, o.Applied)), Is.All.EqualTo((DeliveryStatus.Processed, 1)));
        _ingress ??= await StartIngressAsync();
        var comments = await CommentsAsync(record);
        Assert.That(comments, Has.Count.EqualTo(deliveries.Count));
        Assert.That(comments.Select(c => c.GetProperty("body").GetString()), Is.Unique);
        await using var db = NewContext();
        Assert.That(await db.AuditEntries.CountAsync(a => a.DeliveryId != null && deliveries.Contains(a.DeliveryId.Value)), Is.EqualTo(deliveries.Count),
            "one history entry per comment");
    }

    /// <summary>Every message on the queue (message id and MassTransit message type), left on it: unacked until the channel closes.</summary>
    private async Task<List<(string MessageId, string? MessageType)>> PeekAsync(string queue)
    {
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name);
        await using var channel = await connection.CreateChannelAsync();
        var messages = new List<(string, string?)>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
        {
            using var envelope = JsonDocument.Parse(message.Body);
            messages.Add((message.BasicProperties.MessageId ?? "", envelope.RootElement.GetProperty("messageType")[0].GetString()));
        }
        return messages;
    }

    private Task WaitForCountAsync(string queue, uint expected) =>
        Eventually.GetAsync($"{expected} message(s) on {queue}", () => TestBroker.CountAsync(_vhost.Name, queue), count => count == expected);
}
