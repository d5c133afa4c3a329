using System.Net;

namespace Webhooks.EndToEnd.Tests.Retention;

/// <summary>
/// <c>Retention:Deliveries</c> through the whole stack: an applied delivery leaves the log once older than the
/// retention, what it applied stays, and the same event sent again afterwards is still applied only once (the ledger
/// is not the log); past <c>Retention:AppliedChanges</c> the ledger forgets it too.
/// </summary>
public sealed class DeliveryRetentionTests
{
    [Test]
    public async Task An_applied_delivery_leaves_the_log_after_the_retention_and_its_event_sent_again_is_not_applied_twice()
    {
        // A database of its own: retention deletes whatever in it is old enough.
        await using var database = await TestDatabase.CreateAsync("endtoend_retention");
        await using var vhost = await TestVirtualHost.CreateAsync("endtoend-retention");
        await using var stack = await StackFixture.StartAsync(database.ConnectionString, vhost.Name,
            ingressSettings: new Dictionary<string, string> { ["Retention:Deliveries"] = "00:00:05", ["Retention:Interval"] = "00:00:00.250" });
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();

        var first = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var firstOutcome = await stack.WaitForOutcomeAsync(first);
        await WaitUntilOutOfTheLogAsync(stack, first);

        // Jira sends the same event again after the delivery is gone from the log.
        var again = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var againOutcome = await stack.WaitForOutcomeAsync(again);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), firstOutcome.ToString());
            Assert.That(againOutcome.GetProperty("status").GetString(), Is.EqualTo("duplicate"), againOutcome.ToString());
            Assert.That(record.GetProperty("comments").GetArrayLength(), Is.EqualTo(1), "what the deleted delivery applied stays, once");
        });
    }

    [Test]
    public async Task Past_the_ledger_retention_the_same_event_is_applied_again_and_its_comment_is_still_one()
    {
        await using var database = await TestDatabase.CreateAsync("endtoend_ledger");
        await using var vhost = await TestVirtualHost.CreateAsync("endtoend-ledger");
        await using var stack = await StackFixture.StartAsync(database.ConnectionString, vhost.Name, ingressSettings: new Dictionary<string, string>
        {
            ["Retention:Deliveries"] = "00:00:02",
            ["Retention:AppliedChanges"] = "00:00:08",
            ["Retention:Interval"] = "00:00:00.250",
        });
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();

        var first = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var firstOutcome = await stack.WaitForOutcomeAsync(first);
        var historyBefore = (await stack.Admin.GetRecordAsync(seeded.RecordId)).GetProperty("history").GetArrayLength();
        // Read as the owner, only to know when a pass has deleted it: nothing is written by hand.
        await Eventually.GetAsync("the ledger to forget the applied comment", async () => (long)(await database.ExecuteAsync("SELECT count(*) FROM applied_changes"))!,
            count => count == 0, TimeSpan.FromSeconds(30));

        // Jira sends the same event again after the ledger let it go: applied again, onto the comment it made before.
        var again = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var againOutcome = await stack.WaitForOutcomeAsync(again);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        // That entry is younger than the ledger's retention: the passes that delete this delivery from the log keep it.
        await WaitUntilOutOfTheLogAsync(stack, again);
        var third = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var thirdOutcome = await stack.WaitForOutcomeAsync(third);

        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), firstOutcome.ToString());
            Assert.That(againOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), "not a duplicate: the ledger forgot it");
            Assert.That(record.GetProperty("comments").GetArrayLength(), Is.EqualTo(1), "the comment is found by its Jira id, not added twice");
            Assert.That(record.GetProperty("history").GetArrayLength(), Is.EqualTo(historyBefore), "the same comment again changes nothing");
            Assert.That(thirdOutcome.GetProperty("status").GetString(), Is.EqualTo("duplicate"), "an entry younger than the retention stays");
        });
    }

    private static Task WaitUntilOutOfTheLogAsync(StackFixture stack, Guid delivery) =>
        Eventually.GetAsync($"delivery {delivery} to leave the log", async () =>
        {
            using var response = await stack.Admin.GetAsync($"/deliveries/{delivery}");
            return response.StatusCode;
        }, status => status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30));
}
