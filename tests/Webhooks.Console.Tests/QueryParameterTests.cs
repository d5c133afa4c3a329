using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

/// <summary>
/// A query parameter that does not parse, typed by hand or by a stranger, is a 400 naming it inside the console's
/// layout (docs/console.md), or a notice flag not shown: never the error page of a 500.
/// </summary>
public sealed class QueryParameterTests : ConsoleTest
{
    [TestCase("/deliveries?limit=many", "limit")]
    [TestCase("/deliveries?limit=0", "The limit must be between 1 and 500.")]
    [TestCase("/integrations?page=two", "page")]
    [TestCase("/integrations?pageSize=lots", "pageSize")]
    [TestCase("/integrations?pageSize=501", "The pageSize must be between 1 and 500.")]
    [TestCase("/replay?max=all", "max")]
    public async Task A_number_that_does_not_parse_is_400_naming_it(string path, string named)
    {
        await SignInAsync();

        var response = await Page.GotoAsync(Url(path));

        Assert.That(response!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync(named);
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Overview" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task A_delivery_pages_notice_flag_that_is_not_1_shows_no_notice()
    {
        await SignInAsync();

        var response = await Page.GotoAsync(Url($"/deliveries/{Guid.NewGuid()}?replayed=yes"));

        Assert.That(response!.Status, Is.EqualTo(404), "the unknown delivery, not a failed page");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Delivery not found" })).ToBeVisibleAsync();
    }

    [TestCase("signedOut=yes", false)]
    [TestCase("signedOut=99999999999999999999", false)]
    [TestCase("signedOut=1", true)]
    public async Task The_sign_in_page_takes_any_signed_out_flag_without_a_key(string query, bool noticeShown)
    {
        var response = await Page.GotoAsync(Url($"/sign-in?{query}"));

        Assert.That(response!.Status, Is.EqualTo(200));
        await Expect(Page.GetByLabel("Admin key")).ToBeVisibleAsync();
        await Expect(Page.GetByText("Signed out.")).ToHaveCountAsync(noticeShown ? 1 : 0);
    }
}
