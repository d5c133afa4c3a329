using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Reliability.Tests;

/// <summary>PostgreSQL stops: the ingress accepts through RabbitMQ's holding queue, and a worker stores those deliveries when it returns.</summary>
public sealed class HoldingQueueTests
{
    [Test]
    public async Task With_PostgreSQL_stopped_deliveries_are_held_in_RabbitMQ_and_processed_once_it_returns()
    {
        await using var stack = await FaultStack.CreateAsync("holding");
        // Many concurrent attempts, so every held delivery goes round several times during the outage.
        await stack.StartWorkerAsync(new Dictionary<string, string> { ["Holding__ConcurrentMessageLimit"] = "20" });
        var ingress = await stack.StartIngressAsync();
        using var client = ingress.CreateClient();

        Assert.That(await IsQuorumQueueAsync(stack.VirtualHost, QueueNames.Holding), Is.True, "the worker declares a durable quorum holding queue");
        await FaultInstances.StopPostgresAsync();

        // Database down, broker up: 200 through the holding queue; the cache still refuses an unknown token.
        var held = await stack.PostCommentsAsync(client, 1, 10);
        Assert.That(held.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", held.Select(a => a.Body)));
        Assert.That(held.Select(a => a.DeliveryId), Is.All.Not.Null);
        var unknown = await stack.PostCommentAsync(client, 99, token: Ingress.Webhook.WebhookToken.New());
        Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.Gone));

        // The report is up to a second old (SharedReadyReport): the outage shows in the next one. Waited for on the
        // database's own check: the report made as the ingress started (the bus not started yet: the broker's check
        // degraded, the database's healthy and without a description) can still be the one served.
        var degraded = await Eventually.GetAsync("readiness to report the outage", () => ReadinessAsync(client),
            ready => ready.Report["checks"]?["database"]?["status"]?.GetValue<string>() is { } database && database != "Healthy",
            TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That(degraded.Status, Is.EqualTo(HttpStatusCode.OK), "database down, holding queue up: still ready");
            Assert.That(degraded.Report["status"]!.GetValue<string>(), Is.EqualTo("Degraded"));
            Assert.That(degraded.Report["checks"]!["database"]!["description"]!.GetValue<string>(), Does.Contain("holding queue"));
        });

        // A long outage for the worker: held deliveries go round and round, and none is dead-lettered.
        await Consistently.HoldsAsync("no held delivery dead-lettered during the outage", () => MessagesInAsync(stack.VirtualHost, QueueNames.Holding + "_error"),
            dead => dead == 0, TimeSpan.FromSeconds(6));

        // Both down: 503 with Retry-After, never 200; not ready.
        await FaultInstances.StopRabbitMqAsync();
        var refused = new List<Answer>();
        for (var i = 0; i < 3; i++)
        {
            refused.Add(await stack.PostCommentAsync(client, 200 + i));
        }
        Assert.Multiple(() =>
        {
            Assert.That(refused.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(refused.Select(a => a.RetryAfter), Is.All.Not.Null);
        });
        var notReady = await Eventually.GetAsync("readiness to report both down", () => ReadinessAsync(client),
            ready => ready.Report["status"]?.GetValue<string>() == "Unhealthy", TimeSpan.FromSeconds(5));
        Assert.That(notReady.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), notReady.Report.ToJsonString());

        // Both back, no restart of anything: the held deliveries are stored and processed like any other.
        await FaultInstances.StartRabbitMqAsync();
        await FaultInstances.StartPostgresAsync();
        var ids = held.Select(a => a.DeliveryId!.Value).ToList();
        await stack.WaitUntilFinishedAsync(ids, TimeSpan.FromSeconds(60));

        await using var db = stack.CreateDbContext();
        var rows = await db.Deliveries.Where(d => ids.Contains(d.Id)).ToListAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(rows.Select(r => r.Status), Is.All.EqualTo(DeliveryStatus.Processed));
            Assert.That(rows.Select(r => r.Body.Length), Is.All.GreaterThan(100), "the whole raw body was held");
            Assert.That(await db.Deliveries.CountAsync(), Is.EqualTo(10), "nothing stored for the 503s or the unknown token");
            Assert.That(await stack.CountCommentsAsync(), Is.EqualTo(10));
            Assert.That(await stack.CountDuplicateCommentsAsync(), Is.Zero);
        });
        await Eventually.GetAsync("readiness to be Healthy again", async () => (await ReadinessAsync(client)).Report["status"]?.GetValue<string>(),
            status => status == "Healthy");

        // And a new delivery goes the ordinary way again.
        var after = await stack.PostCommentAsync(client, 300);
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK));
        await stack.WaitUntilFinishedAsync([after.DeliveryId!.Value], TimeSpan.FromSeconds(30));
    }

    internal static async Task<(HttpStatusCode Status, JsonNode Report)> ReadinessAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>A redeclaration with the quorum arguments succeeds only on a durable quorum queue (406 otherwise).</summary>
    private static async Task<bool> IsQuorumQueueAsync(string virtualHost, string queue)
    {
        await using var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, passive: false);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            return false;
        }
    }

    private static Task<IConnection> ConnectAsync(string virtualHost) => new ConnectionFactory
    {
        HostName = FaultInstances.Host, Port = FaultInstances.RabbitPort, VirtualHost = virtualHost,
        UserName = FaultInstances.User, Password = FaultInstances.Password,
    }.CreateConnectionAsync();

    /// <summary>Messages in a queue of the dedicated node; 0 when the queue was never declared.</summary>
    internal static async Task<uint> MessagesInAsync(string virtualHost, string queue)
    {
        await using var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }
}
