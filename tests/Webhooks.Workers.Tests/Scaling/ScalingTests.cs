using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Scaling;

/// <summary>
/// Replicas compete on one queue. The replicas are in-process <see cref="WorkerApplication"/> hosts, each built by
/// the same <see cref="WorkerHost.Build"/> as Program with its own DI container, broker connection and database pool:
/// to the broker and PostgreSQL, where exactly-once is decided, they are separate consumers exactly as separate
/// processes would be, and they start in about a second instead of a published build's several.
/// A longer burst: <c>WEBHOOKS_SCALING_COMMENTS=200 dotnet test tests/Webhooks.Workers.Tests --filter FullyQualifiedName~Scaling</c>.
/// </summary>
[NonParallelizable]
public sealed class ScalingTests
{
    private const int Replicas = 3;

    [Test]
    public async Task Burst_of_duplicated_deliveries_across_replicas_applies_every_comment_exactly_once()
    {
        var comments = int.TryParse(Environment.GetEnvironmentVariable("WEBHOOKS_SCALING_COMMENTS"), out var n) && n > 0 ? n : 6;
        await using var vhost = await TestVirtualHost.CreateAsync("scaling");
        var replicas = new List<WorkerApplication>();
        try
        {
            for (var i = 0; i < Replicas; i++)
            {
                // Small prefetch and concurrency so no replica hoards the burst (Workers:PrefetchCount, Workers:ConcurrentMessageLimit).
                replicas.Add(await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={vhost.Name}",
                    "--Workers:PrefetchCount=2", "--Workers:ConcurrentMessageLimit=2"));
            }
            var queue = QueueNames.For(Provider.Jira);
            await using (var connection = await TestBroker.ConnectAsync(vhost.Name))
            await using (var channel = await connection.CreateChannelAsync())
            {
                Assert.That((await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount, Is.EqualTo(Replicas), $"every replica consumes {queue}");
            }

            var scenario = await CreateAsync();
            var products = new[] { await scenario.CreateProductAsync("A"), await scenario.CreateProductAsync("B"), await scenario.CreateProductAsync("C") };
            var webhooks = new List<Integration>();
            for (var i = 0; i < 3; i++)
            {
                webhooks.Add(await scenario.CreateIntegrationAsync(products[0], await scenario.CreateWriterAsync($"Writer{i}", products)));
            }
            var records = new List<Record>();
            foreach (var product in products)
            {
                records.Add(await scenario.CreateLinkedRecordAsync(product, webhooks[0]));
            }

            // Every comment arrives through every webhook, and every delivery's message is sent twice (an outbox
            // re-send after a lost confirm, say), each copy through a different replica, in shuffled order.
            var deliveries = new List<Delivery>();
            for (var c = 0; c < comments; c++)
            {
                var body = JiraPayloads.Edit("comment_created.json", json => json["comment"]!["id"] = $"burst-{c}");
                foreach (var webhook in webhooks)
                {
                    deliveries.Add(await StoreDeliveryAsync(webhook, body));
                }
            }
            var sends = deliveries.SelectMany((d, i) => new[] { (d, replicas[i % Replicas]), (d, replicas[(i + 1) % Replicas]) })
                .OrderBy(_ => Random.Shared.Next()).ToList();
            await Task.WhenAll(sends.Select(s => s.Item2.SendAsync(s.d)));

            var outcomes = new List<Delivery>();
            foreach (var delivery in deliveries)
            {
                outcomes.Add(await WaitForOutcomeAsync(delivery.Id));
            }

            Assert.That(outcomes.Select(o => o.Status), Is.All.AnyOf(DeliveryStatus.Processed, DeliveryStatus.Duplicate), "every delivery has an outcome; none is left queued");
            foreach (var record in records)
            {
                var onRecord = await CommentsOnAsync(record);
                Assert.That(onRecord.Select(x => x.SourceExternalId), Is.EquivalentTo(Enumerable.Range(0, comments).Select(c => $"burst-{c}")), record.ReferenceNum);
            }
            Assert.That(outcomes.Sum(o => o.Applied), Is.EqualTo(comments * records.Count), "each (record, comment) applied by exactly one delivery");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }
}
