using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RabbitMQ.Client;
using Webhooks.Contracts;

namespace Webhooks.Console.Tests;

public sealed class OverviewTests : ConsoleTest
{
    /// <summary>
    /// The first numbers an operator checks: each provider's queue with its depth and the running worker as its consumer,
    /// read through the management API as the read-only monitoring user deploy/run.sh gives the ingress.
    /// </summary>
    [Test]
    public async Task The_overview_shows_each_queue_depth_and_the_worker_consuming_it()
    {
        await SignInAsync();

        await Expect(Page.Locator("#broker-problem")).ToHaveCountAsync(0);
        foreach (var provider in new[] { "jira", "github", "standard" })
        {
            var row = Page.Locator("#providers tbody tr").Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = provider, Exact = true }) });
            await Expect(row.Locator("td").Nth(0)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("1", new() { Timeout = 30_000 });
        }
    }

    /// <summary>
    /// Deliveries of the last hour by provider and status, each count a link to the log so filtered: a Jira delivery
    /// that fails adds one to Jira's failed count. Every status a delivery can be stored with has its column,
    /// handshakes (Asana, Smartsheet) included.
    /// </summary>
    [Test]
    public async Task The_last_hours_deliveries_are_counted_per_provider_and_status_and_link_to_the_log()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        await SignInAsync();
        var headers = await Page.Locator("#providers thead th").AllTextContentsAsync();
        var failedColumn = headers.ToList().FindIndex(h => h.StartsWith("failed", StringComparison.Ordinal));
        var jira = Page.Locator("#providers tbody tr").Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = "jira", Exact = true }) });
        // The row's first cell is its heading (th): a header's index is its data cell's plus one.
        var failed = jira.Locator("td").Nth(failedColumn - 1);
        var before = int.Parse((await failed.TextContentAsync())!.Trim().Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);

        var deliveryId = await seed.SendAsync(Stack.Senders, "jira_issue_updated.status_done.json", "overview-" + Guid.NewGuid().ToString("N")[..8]);
        await Eventually.GetAsync("the worker to fail the delivery", () => StatusAsync(deliveryId), status => status == "failed");

        Assert.That(headers.Select(h => h.Split(' ')[0]), Is.SupersetOf(new[]
            { "accepted", "queued", "processed", "duplicate", "ignored", "failed", "dead_lettered", "rejected", "handshake" }));
        await Expect(failed).ToHaveTextAsync((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 10_000 });
        await failed.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/console/deliveries\\?provider=jira&status=failed&since="));
        await Expect(Page.Locator("tbody tr").Filter(new() { HasText = seed.IntegrationName })).ToHaveCountAsync(1);
    }

    /// <summary>
    /// A held delivery a worker refuses (a forgery, or a worker that cannot verify the ingress's seal: Workers
    /// <c>HeldDeliveryTrustTests</c>) lands in <c>webhooks-holding_error</c>, which no dead-letter tool reads: the
    /// overview shows that queue's depth, marked, beside the holding and fault queues. The refused message is put there
    /// as MassTransit moves one (a persistent message in the quorum error queue it declares), as the broker's administrator.
    /// </summary>
    [Test]
    public async Task A_message_in_the_holding_error_queue_is_shown_and_marked_on_the_overview()
    {
        await SignInAsync();
        var holdingError = Page.Locator("#side-queues tbody tr").Filter(new() { Has = Page.GetByRole(AriaRole.Rowheader, new() { Name = QueueNames.Holding + "_error", Exact = true }) });
        await Expect(holdingError.Locator("td").Nth(0)).ToHaveTextAsync(new Regex(@"^\d+$"), new() { Timeout = 10_000 });
        var before = int.Parse((await holdingError.Locator("td").Nth(0).TextContentAsync())!.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        await using (var connection = await TestBroker.ConnectAsync(ConsoleSetUp.VirtualHost.Name))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            // A quorum queue, as MassTransit declares the error queue of a quorum endpoint: one of another type would make
            // the worker's next move there fail (406) and hold the holding queue in a loop for the rest of the run.
            await channel.QueueDeclareAsync(QueueNames.Holding + "_error", durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.BasicPublishAsync("", QueueNames.Holding + "_error", mandatory: true,
                new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent }, "{}"u8.ToArray());
        }

        await Expect(holdingError.Locator("td").Nth(0)).ToHaveTextAsync((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        await Expect(holdingError.Locator(".status.bad")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#side-queues tbody th")).ToHaveTextAsync(QueueNames.SideQueues.ToArray());
    }

    /// <summary>
    /// The overview refreshes itself every second in this stack. A page that is slow to answer a clicked link or an
    /// address must still open: a reload of the overview in flight meanwhile would cancel it and keep the operator here.
    /// </summary>
    [Test]
    public async Task A_page_that_loads_slower_than_the_refresh_still_opens()
    {
        await SignInAsync();
        await Page.RouteAsync(new Regex("/console/deliveries"), async route =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            try { await route.ContinueAsync(); }
            catch (PlaywrightException) { } // the navigation was cancelled meanwhile: the assertion below says so
        });

        await Page.Locator("#providers").GetByRole(AriaRole.Link, new() { Name = "jira", Exact = true }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" })).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(Page).ToHaveURLAsync(new Regex("/console/deliveries\\?provider=jira$"));

        await Page.GotoAsync(Url(""));
        await Page.WaitForTimeoutAsync(900); // a refresh is due as the next page is asked for
        await Page.GotoAsync(Url("/deliveries?provider=github"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" })).ToBeVisibleAsync();
    }

    /// <summary>A session that ends while the overview refreshes itself lands on the sign-in page, not on a stale overview.</summary>
    [Test]
    public async Task A_refreshing_page_whose_session_ended_shows_the_sign_in()
    {
        await SignInAsync();
        await Expect(Page.Locator("#auto-refresh")).ToBeCheckedAsync();

        await Context.ClearCookiesAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("/console/sign-in\\?returnUrl="), new() { Timeout = 10_000 });
        await Expect(Page.GetByLabel("Admin key")).ToBeVisibleAsync();
    }

    /// <summary>
    /// A refresh that gets no answer keeps the page shown and says so beside the box, then tries again; the next page
    /// that arrives clears the note.
    /// </summary>
    [Test]
    public async Task A_failed_refresh_is_marked_on_the_page_and_retried()
    {
        await SignInAsync();
        await Page.RouteAsync(new Regex("/console/?$"), async route =>
        {
            if (route.Request.ResourceType == "fetch") { await route.AbortAsync(); }
            else { await route.ContinueAsync(); }
        });

        var status = Page.Locator("#refresh-status");
        await Expect(status).ToContainTextAsync("not refreshed at");
        await Expect(status).ToContainTextAsync("did not answer");
        await Expect(Page.Locator("#providers")).ToBeVisibleAsync();

        await Page.UnrouteAllAsync();
        await Expect(status).ToHaveCountAsync(0);
    }

    /// <summary>Text the operator has selected (a delivery id to copy) stays selected: the refresh waits.</summary>
    [Test]
    public async Task Selected_text_holds_the_refresh()
    {
        await SignInAsync();
        var fetches = CountRefreshes();

        await Page.EvaluateAsync("window.getSelection().selectAllChildren(document.querySelector('h1'))");

        await Expect(Page.Locator("#refresh-status")).ToContainTextAsync("paused: text is selected");
        var before = fetches();
        // Past two refreshes of this stack's 1 s.
        await Consistently.HoldsAsync("no refresh while text is selected", async () =>
            fetches() == before && await Page.EvaluateAsync<string>("window.getSelection().toString()") == "Overview", TimeSpan.FromSeconds(2.5));
    }

    /// <summary>Unticking "refresh" stops it for the tab, on this page and the next; the box stays usable after refreshes.</summary>
    [Test]
    public async Task Unticking_refresh_keeps_the_page_as_it_is()
    {
        await SignInAsync();
        var asOf = Page.Locator("p.muted").Filter(new() { HasText = "As of" });
        var first = await asOf.TextContentAsync();
        await Expect(asOf).Not.ToHaveTextAsync(first!); // refreshed in place at least once (the time moves)

        // From the keyboard: the box keeps the focus across refreshes, so the key lands on it.
        await Page.Locator("#auto-refresh").FocusAsync();
        var focusedAt = await asOf.TextContentAsync();
        await Expect(asOf).Not.ToHaveTextAsync(focusedAt!);
        await Expect(Page.Locator("#auto-refresh")).ToBeFocusedAsync();
        await Page.Keyboard.PressAsync("Space");
        await Expect(Page.Locator("#auto-refresh")).Not.ToBeCheckedAsync();
        var kept = await asOf.TextContentAsync();
        // Past two refreshes of this stack's 1 s.
        await Consistently.HoldsAsync("the page as it was", async () => await asOf.TextContentAsync() == kept, TimeSpan.FromSeconds(2.5));

        await Page.ReloadAsync();
        await Expect(Page.Locator("#auto-refresh")).Not.ToBeCheckedAsync();
    }
}
