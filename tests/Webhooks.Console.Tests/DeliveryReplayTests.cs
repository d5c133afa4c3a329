using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

public sealed class DeliveryReplayTests : ConsoleTest
{
    /// <summary>
    /// The operator's day: a Jira status change fails because "Done" is not mapped; they find it in the log by its
    /// status and provider, add the mapping through the admin API, press Replay, and watch the page show it processed.
    /// </summary>
    [Test]
    public async Task A_delivery_failed_for_an_unmapped_status_is_found_replayed_and_shown_processed()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var webhookId = "status-done-" + Guid.NewGuid().ToString("N")[..8];
        var deliveryId = await seed.SendAsync(Stack.Senders, "jira_issue_updated.status_done.json", webhookId);
        await Eventually.GetAsync("the worker to fail the delivery", () => StatusAsync(deliveryId), status => status == "failed");
        await SignInAsync();

        await Page.GotoAsync(Url("/deliveries"));
        await Page.GetByLabel("Status").SelectOptionAsync(["failed"]);
        await Page.GetByLabel("Provider").SelectOptionAsync(["jira"]);
        await Page.GetByLabel("Sender's delivery id").FillAsync(webhookId[..16]);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var row = Page.Locator("tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Done");
        await Expect(row).ToContainTextAsync(seed.IntegrationName);
        await ScreenshotAsync(Page, "deliveries");

        await Admin.PatchIntegrationAsync(seed.IntegrationId, new { settings = new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } } });
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Delivery failed" })).ToBeVisibleAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

        await Expect(Page.GetByText("Replay requested")).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Delivery processed" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(Page.Locator("table").Filter(new() { HasText = "As user" })).ToContainTextAsync("Jira bot");
        await ScreenshotAsync(Page, "delivery");
        var record = await Admin.GetRecordAsync(seed.RecordId);
        Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("shipped"));
    }

    [Test]
    public async Task The_log_pages_with_a_cursor_and_refreshes_itself()
    {
        var seed = await JiraSeed.CreateAsync(Admin, new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } });
        for (var i = 0; i < 3; i++)
        {
            await seed.SendAsync(Stack.Senders, "comment_created.json");
        }
        await SignInAsync();

        await Page.GotoAsync(Url($"/deliveries?integrationId={seed.IntegrationId}&limit=2"));
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(2);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Older →" }).ClickAsync();
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Older →" })).ToHaveCountAsync(0);

        // A delivery arriving while the first page is open shows up without touching the page.
        await Page.GotoAsync(Url($"/deliveries?integrationId={seed.IntegrationId}"));
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(3);
        await seed.SendAsync(Stack.Senders, "comment_created.json");
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(4);

        // A filter being filled in is not wiped by a refresh: the page waits while a field has the focus, and while the
        // form has a change not yet sent, and says so; a delivery arriving meanwhile shows once the change is undone.
        var refreshes = CountRefreshes();
        var search = Page.GetByLabel("Sender's delivery id");
        var status = Page.Locator("#refresh-status");
        await search.FocusAsync();
        await Expect(status).ToContainTextAsync("paused: a field has the focus");
        await search.PressSequentiallyAsync("half-typed");
        await Page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" }).ClickAsync();
        await Expect(status).ToContainTextAsync("paused: the form has changes not yet sent");
        var before = refreshes();
        await seed.SendAsync(Stack.Senders, "comment_created.json");
        // Past two refreshes of this stack's 1 s.
        await Consistently.HoldsAsync("no refresh while the form has changes", () => refreshes() == before, TimeSpan.FromSeconds(2.5));
        await Expect(search).ToHaveValueAsync("half-typed");
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(4);
        await search.FillAsync("");
        await Page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" }).ClickAsync();
        await Expect(Page.Locator("tbody tr")).ToHaveCountAsync(5);
    }

    [Test]
    public async Task A_body_is_pretty_printed_with_secret_looking_values_redacted()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var body = """{"webhookEvent":"jira:issue_updated","issue":{"id":"10040"},"user":{"name":"x","apiToken":"tok-123456789","password":"hunter2"},"note":"Authorization: Bearer abcdefghijklmnop"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, seed.WebhookPath) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var response = await Stack.Senders.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var deliveryId = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("deliveryId").GetGuid();
        await SignInAsync();

        await Page.GotoAsync(Url($"/deliveries/{deliveryId}"));

        var shown = await Page.Locator("#body").TextContentAsync();
        Assert.Multiple(() =>
        {
            Assert.That(shown, Does.Contain("\n  \"issue\": {"), "indented");
            Assert.That(shown, Does.Contain("\"apiToken\": \"[redacted]\"").And.Contain("\"password\": \"[redacted]\""));
            Assert.That(shown, Does.Contain("Bearer [redacted]"));
            Assert.That(shown, Does.Not.Contain("tok-123456789").And.Not.Contain("hunter2").And.Not.Contain("abcdefghijklmnop"));
        });
    }
}
