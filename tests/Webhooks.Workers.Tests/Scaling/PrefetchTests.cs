using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Scaling;

/// <summary>
/// A worker with the shipped settings takes at most <c>Workers:PrefetchCount</c> messages of a backlog; the rest
/// stay in the broker, ready for another replica. That prefetch, times the deliveries a batch message names, is what
/// bounds a worker's memory under a backlog (docs/benchmarks.md).
/// </summary>
[NonParallelizable]
public sealed class PrefetchTests
{
    private const int Backlog = 300;
    private static readonly int Prefetch = new WorkerOptions().PrefetchCount;

    [Test]
    public async Task A_worker_holds_no_more_than_its_prefetch_of_a_backlog()
    {
        await using var vhost = await TestVirtualHost.CreateAsync("prefetch");
        await using var worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={vhost.Name}");
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("Held");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Writer", product));
        await scenario.CreateLinkedRecordAsync(product, integration);
        var deliveries = new List<Delivery>();
        for (var i = 0; i < Backlog; i++)
        {
            deliveries.Add(await StoreDeliveryAsync(integration, JiraPayloads.Edit("comment_created.json", json => json["comment"]!["id"] = $"held-{i}")));
        }
        var ids = deliveries.Select(d => d.Id).ToArray();
        var queue = QueueNames.For(Provider.Jira);

        // The test holds the deliveries' row locks, so the worker's batches wait and every message it took stays unacked.
        await using (var db = NewContext())
        await using (var locks = await db.Database.BeginTransactionAsync())
        {
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM deliveries WHERE id = ANY({ids}) FOR UPDATE");
            foreach (var delivery in deliveries)
            {
                await worker.SendAsync(delivery);
            }

            await Eventually.GetAsync("the worker to take its prefetch", () => TestBroker.CountAsync(vhost.Name, queue), ready => ready == Backlog - Prefetch);
            await Consistently.HoldsAsync("the rest of the backlog to stay in the broker", () => TestBroker.CountAsync(vhost.Name, queue),
                ready => ready == Backlog - Prefetch, TimeSpan.FromSeconds(2));
            await locks.RollbackAsync();
        }

        foreach (var delivery in deliveries)
        {
            await WaitForOutcomeAsync(delivery.Id);
        }
        Assert.That(await TestBroker.CountAsync(vhost.Name, queue), Is.Zero, "once the batches go through, the worker takes the rest");
    }
}
