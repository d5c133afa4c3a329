using System.Net;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;

namespace Webhooks.Reliability.Tests;

/// <summary>RabbitMQ stops while the ingress accepts: PostgreSQL is the durable accept, the outbox relay catches up.</summary>
public sealed class BrokerOutageTests
{
    [Test]
    public async Task With_RabbitMQ_stopped_every_request_is_stored_and_each_is_processed_once_after_it_returns()
    {
        await using var stack = await FaultStack.CreateAsync("broker");
        await stack.StartWorkerAsync();
        var ingress = await stack.StartIngressAsync();
        using var client = ingress.CreateClient();

        await FaultInstances.StopRabbitMqAsync();
        var answers = await stack.PostCommentsAsync(client, 1, 30);

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", answers.Select(a => a.Body)));
        var ids = answers.Select(a => a.DeliveryId!.Value).ToList();
        await using (var db = stack.CreateDbContext())
        {
            Assert.That(await db.Deliveries.CountAsync(d => ids.Contains(d.Id) && d.Status == DeliveryStatus.Accepted), Is.EqualTo(30),
                "every 200 is a stored, not yet published delivery");
        }

        await FaultInstances.StartRabbitMqAsync();
        await stack.WaitUntilFinishedAsync(ids, TimeSpan.FromSeconds(90));

        var counts = await stack.CountByStatusAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(counts.GetValueOrDefault(DeliveryStatus.Processed), Is.EqualTo(30), string.Join(", ", counts));
            Assert.That(await stack.CountCommentsAsync(), Is.EqualTo(30));
            Assert.That(await stack.CountDuplicateCommentsAsync(), Is.Zero);
        });
    }
}
