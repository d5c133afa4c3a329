using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>
/// <c>deliveries replay</c>: stored deliveries processed again from PostgreSQL, with no ingress running (the tool
/// sends the message itself), and the applied-change ledger keeping a second replay from applying anything twice.
/// </summary>
[NonParallelizable]
public sealed class StoredDeliveryReplayTests : WorkerWithLinkedRecord
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
            Assert.That(outcome.PublishedAt, Is.Not.Null, "sent by the tool itself, with no ingress running");
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

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--id", delivery.Id.ToString());

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
    public async Task Outbox_only_puts_the_delivery_back_for_the_ingress_relay()
    {
        var delivery = await StoreWithStatusAsync(DeliveryStatus.Failed, "outbox");

        var (exitCode, output) = await Broker.RunAsync("deliveries", "replay", "--id", delivery.Id.ToString(), "--outbox-only");

        Assert.That(exitCode, Is.Zero, output);
        var after = await ReloadDeliveryAsync(delivery);
        Assert.That((after.Status, after.PublishedAt, after.PublishLeaseUntil, after.LastError), Is.EqualTo((DeliveryStatus.Accepted, (DateTimeOffset?)null, (DateTimeOffset?)null, (string?)null)));
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

    private static async Task<Delivery> ReloadDeliveryAsync(Delivery delivery)
    {
        await using var db = NewContext();
        return await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id);
    }
}
