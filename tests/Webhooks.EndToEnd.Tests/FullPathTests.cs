namespace Webhooks.EndToEnd.Tests;

/// <summary>The whole stack in one process: webhook → ingress → PostgreSQL → RabbitMQ → worker → record, read back through the admin API.</summary>
public sealed class FullPathTests
{
    [Test]
    public async Task A_Jira_comment_webhook_becomes_a_comment_by_the_run_as_user_on_the_linked_record_once()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedJiraRecordAsync();

        var first = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var firstOutcome = await stack.WaitForOutcomeAsync(first);
        // Jira retries a delivery it thinks failed: the same event again must not comment twice.
        var again = await JiraWebhook.PostCommentCreatedAsync(stack.Webhooks, seeded.WebhookPath);
        var againOutcome = await stack.WaitForOutcomeAsync(again);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        var comments = record.GetProperty("comments").EnumerateArray().ToList();
        var history = record.GetProperty("history").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(firstOutcome.GetProperty("status").GetString(), Is.EqualTo("processed"), firstOutcome.ToString());
            Assert.That(firstOutcome.GetProperty("publishedAt").GetDateTimeOffset(),
                Is.InRange(firstOutcome.GetProperty("receivedAt").GetDateTimeOffset(), firstOutcome.GetProperty("processedAt").GetDateTimeOffset()),
                "sent by the relay after the commit, before the worker applied it");
            Assert.That(againOutcome.GetProperty("status").GetString(), Is.EqualTo("duplicate"), againOutcome.ToString());
            Assert.That(comments, Has.Count.EqualTo(1), record.ToString());
            Assert.That(comments[0].GetProperty("body").GetString(), Does.Contain("Added a comment"));
            Assert.That(comments[0].GetProperty("authorUserId").GetGuid(), Is.EqualTo(seeded.RunAsUserId), "written as the integration's run-as user");
            Assert.That(comments[0].GetProperty("sourceProvider").GetString(), Is.EqualTo("jira"));
            Assert.That(comments[0].GetProperty("sourceAuthor").GetString(), Is.EqualTo("Test User"), "the Jira author's name is kept");
            Assert.That(history.Any(h => h.GetProperty("userId").GetGuid() == seeded.RunAsUserId
                                         && h.GetProperty("deliveryId").GetGuid() == first
                                         && h.GetProperty("integrationId").GetGuid() == seeded.IntegrationId), Is.True,
                $"the history names the run-as user, the delivery and the integration: {record}");
        });
    }
}
