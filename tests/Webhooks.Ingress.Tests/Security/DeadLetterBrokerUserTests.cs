using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// The admin API's dead-letter user (<c>DeadLetters:User</c>; the <c>operator</c> line of
/// deploy/services/rabbitmq-permissions.txt, granted on this run's vhost as deploy/services/start.sh grants it) may
/// read and ack every provider's error queue and nothing else: no delivery queue, no held payload, no publish. A replay
/// goes through the outbox in PostgreSQL, so it never needs to write to the broker.
/// </summary>
public sealed class DeadLetterBrokerUserTests
{
    private const int AccessRefused = 403;
    private TestVirtualHost _vhost = null!;

    private static IEnumerable<string> ErrorQueues() => ProviderNames.All.Select(QueueNames.ErrorQueueFor);

    [OneTimeSetUp]
    public async Task Queues_as_the_workers_declare_them_with_a_message_in_each()
    {
        _vhost = await TestVirtualHost.CreateAsync("dead-letter-user");
        await TestBroker.DeclareProviderQueuesAsync(_vhost.Name);
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in ErrorQueues().Append("webhooks-holding_error").Append("webhooks-faults"))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { MessageId = Guid.NewGuid().ToString() }, "{}"u8.ToArray());
        }
    }

    [OneTimeTearDown]
    public async Task Remove_the_vhost() => await _vhost.DisposeAsync();

    [TestCaseSource(nameof(ErrorQueues))]
    public async Task Dead_letter_user_counts_reads_and_puts_back_every_providers_error_queue(string queue)
    {
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name, TestServices.OperatorBrokerUser);
        await using var channel = await connection.CreateChannelAsync();

        var count = (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        var message = await channel.BasicGetAsync(queue, autoAck: false);
        await channel.BasicNackAsync(message!.DeliveryTag, multiple: false, requeue: true);

        Assert.That(count, Is.GreaterThanOrEqualTo(1));
        Assert.That(channel.IsOpen, Is.True, channel.CloseReason?.ToString());
    }

    private static IEnumerable<TestCaseData> Refused()
    {
        yield return Case("consume a provider queue (read deliveries)", c => c.BasicGetAsync("webhooks-jira", autoAck: false));
        yield return Case("read the holding queue's dead letters (whole payloads)", c => c.BasicGetAsync("webhooks-holding_error", autoAck: false));
        yield return Case("read the faults queue", c => c.BasicGetAsync("webhooks-faults", autoAck: false));
        yield return Case("publish to a provider exchange", c => c.BasicPublishAsync("webhooks-jira", "", mandatory: true, new BasicProperties(), "{}"u8.ToArray()).AsTask());
        yield return Case("publish straight to an error queue", c => c.BasicPublishAsync("", "webhooks-jira_error", mandatory: true, new BasicProperties(), "{}"u8.ToArray()).AsTask());
        yield return Case("declare another queue", c => c.QueueDeclareAsync("intruder", durable: true, exclusive: false, autoDelete: false));
        yield return Case("delete an error queue", c => c.QueueDeleteAsync("webhooks-jira_error"));
    }

    private static TestCaseData Case(string name, Func<IChannel, Task> operation) => new TestCaseData(new BrokerOperation(operation)).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Refused))]
    public async Task Dead_letter_user_is_refused(BrokerOperation operation)
    {
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name, TestServices.OperatorBrokerUser);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        var refused = Assert.CatchAsync(async () => await operation.Run(channel), "the broker let the dead-letter user do it");

        var code = (refused as OperationInterruptedException)?.ShutdownReason?.ReplyCode ?? channel.CloseReason?.ReplyCode;
        Assert.That(code, Is.EqualTo(AccessRefused), refused!.Message);
    }

    /// <summary>One thing a holder of the dead-letter user's credentials might try.</summary>
    public sealed record BrokerOperation(Func<IChannel, Task> Run);
}
