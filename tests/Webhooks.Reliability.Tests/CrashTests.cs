using System.Net;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;

namespace Webhooks.Reliability.Tests;

/// <summary>Processes killed at the worst moment: nothing lost, nothing applied twice, nothing stuck.</summary>
public sealed class CrashTests
{
    [Test]
    public async Task A_worker_killed_mid_burst_leaves_nothing_stuck_and_nothing_applied_twice_after_a_restart()
    {
        const int Total = 400;
        await using var stack = await FaultStack.CreateAsync("killworker");
        // Small batches, one at a time: a worker applies a whole batch per commit, and this one must still be mid-burst
        // when it is killed (with the defaults it applies 400 in a fraction of a second).
        var first = await stack.StartWorkerAsync(new Dictionary<string, string> { ["Workers__BatchSize"] = "4", ["Workers__BatchConcurrency"] = "1" });
        var ingress = await stack.StartIngressAsync();
        using var client = ingress.CreateClient();

        var answers = await stack.PostCommentsAsync(client, 1, Total, parallel: 16);
        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var ids = answers.Select(a => a.DeliveryId!.Value).ToList();

        await Eventually.GetAsync("the worker to be under way (10 processed)", stack.CountByStatusAsync,
            counts => counts.GetValueOrDefault(DeliveryStatus.Processed) >= 10, TimeSpan.FromSeconds(60));
        await first.KillAsync();
        var processedAtKill = (await stack.CountByStatusAsync()).GetValueOrDefault(DeliveryStatus.Processed);
        Assert.That(processedAtKill, Is.LessThan(Total), "the worker was killed after the burst, not during it");

        await stack.StartWorkerAsync();
        await stack.WaitUntilFinishedAsync(ids, TimeSpan.FromSeconds(120));

        var counts = await stack.CountByStatusAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(counts.GetValueOrDefault(DeliveryStatus.Processed), Is.EqualTo(Total), string.Join(", ", counts));
            Assert.That(counts.GetValueOrDefault(DeliveryStatus.Queued), Is.Zero);
            Assert.That(await stack.CountCommentsAsync(), Is.EqualTo(Total));
            Assert.That(await stack.CountDuplicateCommentsAsync(), Is.Zero);
        });
    }

    [Test]
    public async Task Deliveries_an_ingress_stored_but_did_not_publish_before_it_died_are_published_by_the_next_ingress()
    {
        const int Total = 50;
        await using var stack = await FaultStack.CreateAsync("killingress");
        await stack.StartWorkerAsync();
        // This ingress's relay cannot reach its broker (a vhost that does not exist): it stores and answers 200,
        // claims rows to publish them, and never gets to.
        var doomed = await stack.StartIngressAsync(new Dictionary<string, string> { ["RabbitMqTransport:VHost"] = $"nowhere-{Guid.NewGuid():N}" });
        List<Answer> answers;
        using (var client = doomed.CreateClient())
        {
            answers = await stack.PostCommentsAsync(client, 1, Total);
        }
        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var ids = answers.Select(a => a.DeliveryId!.Value).ToList();
        await doomed.DisposeAsync();
        await using (var db = stack.CreateDbContext())
        {
            Assert.That(await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => ids.Contains(id)), Is.EqualTo(Total),
                "the first ingress published nothing: every delivery is still named in the outbox");
        }

        await stack.StartIngressAsync();
        await stack.WaitUntilFinishedAsync(ids, TimeSpan.FromSeconds(60));

        var counts = await stack.CountByStatusAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(counts.GetValueOrDefault(DeliveryStatus.Processed), Is.EqualTo(Total), string.Join(", ", counts));
            Assert.That(await stack.CountCommentsAsync(), Is.EqualTo(Total));
            Assert.That(await stack.CountDuplicateCommentsAsync(), Is.Zero);
        });
    }
}
