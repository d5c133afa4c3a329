using System.Text.RegularExpressions;
using Microsoft.Playwright;

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
    /// The overview reloads itself every second in this stack. A page that is slow to answer a clicked link must still
    /// open: a reload firing while the next page loads would cancel it and leave the operator on the overview.
    /// </summary>
    [Test]
    public async Task A_link_whose_page_loads_slower_than_the_refresh_still_opens()
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
    }
}
