using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// The ingress's RabbitMQ user (deploy/services/rabbitmq-permissions.txt, granted on this run's vhost exactly as
/// deploy/services/start.sh grants it) may send to the provider and holding exchanges and nothing else. Whoever steals
/// its credentials (from a public-facing pod) cannot read deliveries, forge faults, declare queues or reroute messages:
/// the broker itself refuses (403 ACCESS_REFUSED). The ingress under test runs on this user in every test. A vhost of
/// its own: the workers' topology declared here (a bound holding queue) must not change what other tests see.
/// </summary>
public sealed class BrokerUserTests
{
    private const int AccessRefused = 403;
    private static readonly string FaultExchange = "MassTransit:Fault--Webhooks.Contracts:ProcessDelivery--";
    private TestVirtualHost _vhost = null!;

    [OneTimeSetUp]
    public async Task The_workers_topology_exists()
    {
        // What deploy-topology declares: so a refusal is about permissions, not a missing exchange.
        _vhost = await TestVirtualHost.CreateAsync("broker-users");
        await TestBroker.DeclareProviderQueuesAsync(_vhost.Name);
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in new[] { "webhooks-faults", FaultExchange, QueueNames.Holding })
        {
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false);
        }
        foreach (var name in new[] { "webhooks-faults", QueueNames.Holding })
        {
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.QueueBindAsync(name, name, routingKey: "");
        }
        await channel.QueueBindAsync("webhooks-faults", FaultExchange, routingKey: "");
    }

    [OneTimeTearDown]
    public async Task Remove_the_vhost() => await _vhost.DisposeAsync();

    private static IEnumerable<TestCaseData> Refused()
    {
        yield return Case("publish to webhooks-faults (mark deliveries dead-lettered)", c => PublishAsync(c, "webhooks-faults"));
        yield return Case("publish a forged Fault<ProcessDelivery>", c => PublishAsync(c, FaultExchange));
        yield return Case("publish through the default exchange straight to a queue", c => PublishAsync(c, "", "webhooks-jira"));
        yield return Case("consume a provider queue (read deliveries)", c => c.BasicGetAsync("webhooks-jira", autoAck: false));
        yield return Case("consume the holding queue (read whole payloads)", c => c.BasicConsumeAsync(QueueNames.Holding, autoAck: false, new AsyncEventingBasicConsumer(c)));
        yield return Case("purge a provider queue", c => c.QueuePurgeAsync("webhooks-jira"));
        yield return Case("declare another queue", c => c.QueueDeclareAsync("intruder", durable: true, exclusive: false, autoDelete: false));
        yield return Case("declare a provider's error queue", c => c.QueueDeclareAsync("webhooks-jira_error", durable: true, exclusive: false, autoDelete: false));
        yield return Case("declare a server-named queue", c => c.QueueDeclareAsync());
        yield return Case("declare another exchange", c => c.ExchangeDeclareAsync("intruder", ExchangeType.Fanout));
        yield return Case("bind a provider queue to another provider's exchange", c => c.QueueBindAsync("webhooks-jira", "webhooks-github", routingKey: ""));
    }

    private static TestCaseData Case(string name, Func<IChannel, Task> operation) => new TestCaseData(new BrokerOperation(operation)).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Refused))]
    public async Task Ingress_broker_user_is_refused(BrokerOperation operation)
    {
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name, TestServices.IngressBrokerUser);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        var refused = Assert.CatchAsync(async () => await operation.Run(channel), "the broker let the ingress's user do it");

        var code = (refused as OperationInterruptedException)?.ShutdownReason?.ReplyCode ?? channel.CloseReason?.ReplyCode;
        Assert.That(code, Is.EqualTo(AccessRefused), refused!.Message);
    }

    // Every provider the ingress receives for: a provider added to Contracts without its queue in
    // rabbitmq-permissions.txt would have its deliveries refused by the broker.
    private static IEnumerable<string> Sendable() => ProviderNames.All.Select(QueueNames.For).Append(QueueNames.Holding);

    [TestCaseSource(nameof(Sendable))]
    public async Task Ingress_broker_user_sends_to_the_provider_and_holding_exchanges(string exchange)
    {
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name, TestServices.IngressBrokerUser);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        // What MassTransit does before its first send to an exchange: declare it (as deploy-topology did), then publish.
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await PublishAsync(channel, exchange);

        Assert.That(channel.IsOpen, Is.True, channel.CloseReason?.ToString());
        // Take it back off (as the administrator) so the provider queues stay empty for the other tests.
        var queue = exchange;
        await using var admin = await TestBroker.ConnectAsync(_vhost.Name);
        await using var adminChannel = await admin.CreateChannelAsync();
        Assert.That(await adminChannel.BasicGetAsync(queue, autoAck: true), Is.Not.Null, "the message was routed to its queue");
    }

    private static async Task PublishAsync(IChannel channel, string exchange, string routingKey = "") =>
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, new BasicProperties { MessageId = Guid.NewGuid().ToString() },
            "{}"u8.ToArray());

    /// <summary>One thing a holder of the ingress's broker credentials might try.</summary>
    public sealed record BrokerOperation(Func<IChannel, Task> Run);
}
