using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

public sealed class NotFoundPagesTests : ConsoleTest
{
    /// <summary>
    /// An id that names nothing is a 404 that still says what was not found, inside the console's layout: static
    /// rendering would otherwise send a page's own 404 without its body, which Chromium shows as its own error page.
    /// </summary>
    [TestCase("/deliveries/{0}", "Delivery not found")]
    [TestCase("/integrations/{0}", "Integration not found")]
    [TestCase("/replay/{0}", "Replay not found")]
    [TestCase("/dead-letters/jira/{0}", "Dead letter not found")]
    [TestCase("/dead-letters/no-such-provider", "Dead letters: no-such-provider")]
    public async Task An_unknown_id_is_a_404_page_that_says_so(string path, string heading)
    {
        await SignInAsync();

        var response = await Page.GotoAsync(Url(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Guid.NewGuid())));

        Assert.That(response!.Status, Is.EqualTo(404));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = heading })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Overview" })).ToBeVisibleAsync();
    }
}
