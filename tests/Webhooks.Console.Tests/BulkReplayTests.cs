using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

public sealed class BulkReplayTests : ConsoleTest
{
    /// <summary>
    /// Two Jira status changes fail because "Done" is not mapped. The operator adds the mapping, opens the failed ones in
    /// the log, takes them to the bulk replay, counts them (nothing changes), replays them and watches the progress to done.
    /// </summary>
    [Test]
    public async Task Bulk_replay_counts_first_then_replays_and_shows_progress_until_done()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var deliveries = new[]
        {
            await seed.SendAsync(Stack.Senders, "jira_issue_updated.status_done.json"),
            await seed.SendAsync(Stack.Senders, "jira_issue_updated.status_done.json"),
        };
        foreach (var deliveryId in deliveries)
        {
            await Eventually.GetAsync("the worker to fail the delivery", () => StatusAsync(deliveryId), status => status == "failed");
        }
        await Admin.PatchIntegrationAsync(seed.IntegrationId, new { settings = new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } } });
        await SignInAsync();

        await Page.GotoAsync(Url($"/deliveries?status=failed&integrationId={seed.IntegrationId}"));
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(2);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Replay these…" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Bulk replay" })).ToBeVisibleAsync();
        await Expect(Page.GetByLabel("Integration id")).ToHaveValueAsync(seed.IntegrationId.ToString());

        await Expect(Page.Locator("#replay-count")).ToHaveTextAsync("2 stored deliveries");
        await ScreenshotAsync(Page, "replay");
        foreach (var deliveryId in deliveries)
        {
            Assert.That(await StatusAsync(deliveryId), Is.EqualTo("failed"), "a dry run changes nothing");
        }
        await Page.GetByRole(AriaRole.Button, new() { Name = "Replay 2 deliveries" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("/console/replay/[0-9a-f-]{36}\\?started=2$"));
        await Expect(Page.GetByText("2 deliveries are back in the outbox")).ToBeVisibleAsync();
        await Expect(Page.Locator("#replay-state")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
        await Expect(Page.Locator("#replay-finished")).ToHaveTextAsync("2");
        await Expect(Page.Locator("#replay-statuses")).ToContainTextAsync("processed");
        await ScreenshotAsync(Page, "replay-progress");
        var record = await Admin.GetRecordAsync(seed.RecordId);
        Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("shipped"));
    }

    [Test]
    public async Task Counting_without_a_criterion_takes_nothing_and_a_bad_one_is_named()
    {
        await SignInAsync();

        await Page.GotoAsync(Url("/replay"));
        await Expect(Page.GetByText("Choose at least one criterion")).ToBeVisibleAsync();
        await Expect(Page.Locator("#replay-preview")).ToHaveCountAsync(0);

        var rejected = await Page.GotoAsync(Url("/replay?status=rejected"));
        Assert.That(rejected!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Each status must be one of");
        var unparsable = await Page.GotoAsync(Url("/replay?since=yesterday"));
        Assert.That(unparsable!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("since");
        var notANumber = await Page.GotoAsync(Url("/replay?status=failed&max=lots"));
        Assert.That(notANumber!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("max");
        var tooMany = await Page.GotoAsync(Url("/replay?status=failed&max=100001"));
        Assert.That(tooMany!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The max must be between 1 and 100000.");
    }
}
