using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Tests.DeadLetters;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Replay;

/// <summary>
/// <c>deliveries replay</c>: stored deliveries put back in the outbox from the worker's command line and sent by a
/// running ingress's relay (woken across processes, not at its sweep), and the applied-change ledger keeping a second
/// replay from applying anything twice.
/// </summary>
[NonParallelizable]
public sealed partial class StoredDeliveryReplayCommandTests : WorkerWithLinkedRecord
{
    [Test]
    public async Task Failed_deliveries_of_an_integration_are_replayed_by_status_and_applied_once()
    {
        var failed = await StoreWithStatusAsync(DeliveryStatus.Failed, "replayed-1");
        var alsoFailed = await StoreWithStatusAsync(DeliveryStatus.Failed, "replayed-2");
        var ignored = await StoreWithStatusAsync(DeliveryStatus.Ignored, "not-replayed");

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--status", "failed", "--integration", Integration.Id.ToString());

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("Replayed 2 deliveries"));
        foreach (var delivery in new[] { failed, alsoFailed })
        {
            var outcome = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed);
            Assert.That(outcome.Applied, Is.EqualTo(1));
            Assert.That(outcome.PublishedAt, Is.Not.Null, "sent by the ingress's outbox relay");
        }
        var comments = await CommentsOnAsync(Record);
        Assert.That(comments.Select(c => c.SourceExternalId), Is.EquivalentTo(new[] { "replayed-1", "replayed-2" }));
        Assert.That((await ReloadDeliveryAsync(ignored)).Status, Is.EqualTo(DeliveryStatus.Ignored));
    }

    [Test]
    public async Task Replaying_an_applied_delivery_again_is_a_duplicate_and_adds_nothing()
    {
        var delivery = await StoreWithStatusAsync(DeliveryStatus.Failed, "once");
        Assert.That((await Broker.RunAsync("deliveries", "replay", "--id", delivery.Id.ToString())).ExitCode, Is.Zero);
        await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed);

        // The id as an argument this time (the same as --id).
        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--status", "processed", delivery.Id.ToString());

        Assert.That(exitCode, Is.Zero, output);
        var outcome = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Duplicate);
        Assert.That((outcome.Applied, outcome.Duplicates), Is.EqualTo((0, 1)));
        Assert.That(await CommentsOnAsync(Record), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Dry_run_prints_what_would_be_replayed_and_changes_nothing()
    {
        var delivery = await StoreWithStatusAsync(DeliveryStatus.DeadLettered, "dry");

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--status", "dead_lettered", "--integration", Integration.Id.ToString(), "--dry-run");

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain($"Would replay delivery {delivery.Id} (jira, now dead_lettered)").And.Contain("Dry run: 1 delivery"));
        Assert.That((await ReloadDeliveryAsync(delivery)).Status, Is.EqualTo(DeliveryStatus.DeadLettered));
        Assert.That(await CommentsOnAsync(Record), Is.Empty);
    }

    [Test]
    public async Task Replay_from_the_command_line_is_sent_by_a_running_ingress_long_before_its_sweep()
    {
        var delivery = await StoreWithStatusAsync(DeliveryStatus.Failed, "woken");
        // An ingress whose sweep would not come for ten minutes: only the replay's notification can wake its relay.
        await Broker.StopIngressAsync();
        await using var ingress = await AdminIngress.StartNewAsync(settings: new Dictionary<string, string?> { ["RabbitMqTransport:VHost"] = Broker.VirtualHost.Name },
            sweeps: false);
        await ingress.WaitUntilListeningAsync();
        var clock = Stopwatch.StartNew();

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--id", delivery.Id.ToString());

        Assert.That(exitCode, Is.Zero, output);
        var outcome = await WaitForOutcomeAsync(delivery.Id, DeliveryStatus.Processed);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "sent on the notification, not at the 10-minute sweep");
        Assert.That(outcome.Applied, Is.EqualTo(1));
    }

    [Test]
    public async Task Replay_with_no_ingress_running_leaves_the_deliveries_in_the_outbox_under_the_printed_replay_id()
    {
        var delivery = await StoreWithStatusAsync(DeliveryStatus.Failed, "outbox");
        await Broker.StopIngressAsync();

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--id", delivery.Id.ToString());

        Assert.That(exitCode, Is.Zero, output);
        var replayId = Guid.Parse(ReplayIdIn().Match(output).Groups[1].Value);
        var after = await ReloadDeliveryAsync(delivery);
        Assert.That((after.Status, after.PublishedAt, after.LastError, after.ReplayId),
            Is.EqualTo((DeliveryStatus.Accepted, (DateTimeOffset?)null, (string?)null, (Guid?)replayId)), "nothing but the ingress's relay sends a delivery");
        var (progressExit, progress) = await Broker.RunAsync("deliveries", "progress", replayId.ToString());
        Assert.That(progressExit, Is.Zero, progress);
        Assert.That(progress, Does.Contain("1 deliveries, 1 in the outbox, 0 queued, 0 finished"));
    }

    [Test]
    public async Task Replay_with_no_selection_or_an_unknown_status_is_a_usage_error()
    {
        var (noSelection, first) = await Broker.RunAsync("deliveries", "replay");
        var (unknownStatus, second) = await Broker.RunAsync("deliveries", "replay", "--status", "broken");

        Assert.That((noSelection, unknownStatus), Is.EqualTo((2, 2)), first + second);
        Assert.That(second, Does.Contain("dead_lettered"));
    }

    private async Task<Delivery> StoreWithStatusAsync(DeliveryStatus status, string commentId)
    {
        var delivery = await StoreDeliveryAsync(Integration, JiraPayloads.Edit("comment_created.json", json => json["comment"]!["id"] = commentId));
        await using var db = NewContext();
        await db.Deliveries.Where(d => d.Id == delivery.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, status).SetProperty(d => d.LastError, "from an earlier attempt"));
        return delivery;
    }

    [GeneratedRegex("replay ([0-9a-f-]{36})")]
    private static partial Regex ReplayIdIn();

    private static async Task<Delivery> ReloadDeliveryAsync(Delivery delivery)
    {
        await using var db = NewContext();
        return await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id);
    }
}
