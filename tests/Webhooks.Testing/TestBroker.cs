using System.Text.Json;
using RabbitMQ.Client;
using Webhooks.Contracts;

namespace Webhooks.Testing;

/// <summary>Direct AMQP access to a test vhost: declare the provider queues, read what landed in them.</summary>
public static class TestBroker
{
    /// <summary>As the broker's administrator, or as <paramref name="user"/> (a program's user, or an attacker holding its credentials).</summary>
    public static async Task<IConnection> ConnectAsync(string vhost, BrokerUser? user = null)
    {
        var factory = new ConnectionFactory
        {
            HostName = TestServices.RabbitHost,
            Port = TestServices.RabbitPort,
            VirtualHost = vhost,
            UserName = user?.Name ?? TestServices.RabbitUser,
            Password = user?.Password ?? TestServices.RabbitPassword,
            ClientProvidedName = "webhooks-tests",
        };
        return await factory.CreateConnectionAsync();
    }

    /// <summary>
    /// The topology the workers' receive endpoints declare (a durable fanout exchange bound to a quorum queue of the
    /// same name), for tests of the ingress alone. The arguments must match MassTransit's, or a worker in the same
    /// vhost would be refused with 406.
    /// </summary>
    public static async Task DeclareProviderQueuesAsync(string vhost)
    {
        await using var connection = await ConnectAsync(vhost);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var provider in ProviderNames.All)
        {
            var name = QueueNames.For(provider);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.QueueBindAsync(name, name, routingKey: "");
        }
    }

    /// <summary>Takes every message off a queue and returns their AMQP message ids (MassTransit's MessageId).</summary>
    public static async Task<List<string>> DrainMessageIdsAsync(string vhost, string queue)
    {
        await using var connection = await ConnectAsync(vhost);
        await using var channel = await connection.CreateChannelAsync();
        var ids = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            ids.Add(message.BasicProperties.MessageId ?? "");
        }
        return ids;
    }

    /// <summary>
    /// Takes every message off a queue and returns the delivery ids they name, once per naming: a
    /// <c>ProcessDelivery</c> names one (<c>message.deliveryId</c>), a <c>ProcessDeliveryBatch</c> several
    /// (<c>message.deliveries[].deliveryId</c>); and how many messages there were.
    /// </summary>
    public static async Task<(List<Guid> DeliveryIds, int Messages)> DrainDeliveryIdsAsync(string vhost, string queue)
    {
        await using var connection = await ConnectAsync(vhost);
        await using var channel = await connection.CreateChannelAsync();
        var ids = new List<Guid>();
        var messages = 0;
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            messages++;
            using var envelope = JsonDocument.Parse(got.Body);
            var message = envelope.RootElement.GetProperty("message");
            if (message.TryGetProperty("deliveries", out var batch))
            {
                ids.AddRange(batch.EnumerateArray().Select(d => d.GetProperty("deliveryId").GetGuid()));
            }
            else
            {
                ids.Add(message.GetProperty("deliveryId").GetGuid());
            }
        }
        return (ids, messages);
    }

    public static async Task<uint> CountAsync(string vhost, string queue)
    {
        await using var connection = await ConnectAsync(vhost);
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }
}
