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
}
