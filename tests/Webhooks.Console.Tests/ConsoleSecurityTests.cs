using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

/// <summary>Where the console answers, what it refuses, and the headers that keep a browser from being turned against it.</summary>
public sealed class ConsoleSecurityTests : ConsoleTest
{
    [TestCase("")]
    [TestCase("/sign-in")]
    [TestCase("/deliveries")]
    [TestCase("/console.css")]
    public async Task The_console_is_not_reachable_on_the_public_listener(string path)
    {
        // Through the browser's own request context (its cookies ride along); Chromium shows an empty 404 as a network error.
        var response = await Context.APIRequest.GetAsync(Stack.PublicUrl + "/console" + path, new() { MaxRedirects = 0 });

        Assert.That(response.Status, Is.EqualTo(404));
        Assert.That(await response.TextAsync(), Is.Empty, "the same empty 404 as any admin path there");
        await SignInAsync();
        var withSession = await Context.APIRequest.GetAsync(Stack.PublicUrl + "/console" + path, new() { MaxRedirects = 0 });
        var onAdminPort = await Context.APIRequest.GetAsync(Stack.ConsoleUrl + path, new() { MaxRedirects = 0 });
        Assert.That(withSession.Status, Is.EqualTo(404), "a signed-in browser gets nothing there either");
        Assert.That(onAdminPort.Status, Is.EqualTo(200), "while the admin listener serves it");
    }

    [Test]
    public async Task A_forged_post_without_the_anti_forgery_token_is_refused_and_changes_nothing()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        await SignInAsync();
        await Page.GotoAsync(Url($"/integrations/{seed.IntegrationId}"));
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Disable" })).ToBeVisibleAsync();

        // What another page could make the browser send: the session cookie rides along, the token cannot.
        var forged = await Context.APIRequest.PostAsync(Url($"/integrations/{seed.IntegrationId}"), new APIRequestContextOptions
        {
            Form = Context.APIRequest.CreateFormData().Set("_handler", "enable").Set("Enable", "false"),
            MaxRedirects = 0,
        });
        var withWrongToken = await Context.APIRequest.PostAsync(Url($"/integrations/{seed.IntegrationId}"), new APIRequestContextOptions
        {
            Form = Context.APIRequest.CreateFormData().Set("_handler", "enable").Set("Enable", "false").Set("__RequestVerificationToken", "CfDJ8forged"),
            MaxRedirects = 0,
        });
        var signOut = await Context.APIRequest.PostAsync(Url("/sign-out"), new APIRequestContextOptions { MaxRedirects = 0 });

        Assert.Multiple(async () =>
        {
            Assert.That(forged.Status, Is.EqualTo(400));
            Assert.That(withWrongToken.Status, Is.EqualTo(400));
            Assert.That(signOut.Status, Is.EqualTo(400), "even signing out needs the token");
            Assert.That((await Admin.ExpectAsync(HttpMethod.Get, $"/integrations/{seed.IntegrationId}", null, HttpStatusCode.OK)).GetProperty("enabled").GetBoolean(), Is.True);
        });
        await Page.ReloadAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Disable" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task Every_page_carries_a_strict_content_security_policy_and_runs_no_inline_script()
    {
        var blocked = new List<string>();
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                blocked.Add(message.Text);
            }
        };
        var signIn = await Page.GotoAsync(Url("/sign-in"));
        await SignInAsync();
        var overview = await Page.GotoAsync(Url(""));
        var deliveries = await Page.GotoAsync(Url("/deliveries"));

        foreach (var response in new[] { signIn!, overview!, deliveries! })
        {
            var headers = await response.AllHeadersAsync();
            Assert.Multiple(() =>
            {
                Assert.That(headers["content-security-policy"], Does.Contain("default-src 'none'").And.Contain("script-src 'self'").And.Contain("frame-ancestors 'none'"));
                Assert.That(headers["content-security-policy"], Does.Not.Contain("unsafe-inline").And.Not.Contain("unsafe-eval"));
                Assert.That(headers["x-frame-options"], Is.EqualTo("DENY"));
                Assert.That(headers["cache-control"], Does.Contain("no-store"));
                Assert.That(headers["x-content-type-options"], Is.EqualTo("nosniff"));
            });
        }
        // The page's own stylesheet and script load under that policy (the refresh box is shown by the script).
        await Expect(Page.Locator("#auto-refresh")).ToBeVisibleAsync();
        Assert.That(await Page.EvaluateAsync<string>("getComputedStyle(document.querySelector('header.top')).display"), Is.EqualTo("flex"));
        Assert.That(blocked, Is.Empty, string.Join("\n", blocked));
    }

    [Test]
    public async Task Pages_read_without_javascript_except_the_refresh()
    {
        await using var noScript = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Desktop, JavaScriptEnabled = false });
        var page = await noScript.NewPageAsync();
        await SignInAsync(page);

        await page.GotoAsync(Url("/deliveries"));

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Deliveries" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Filter" })).ToBeVisibleAsync();
        await Expect(page.Locator("#auto-refresh")).ToBeHiddenAsync();
        await page.GotoAsync(Url("/dead-letters"));
        await Expect(page.Locator("#dead-letter-queues tbody tr")).ToHaveCountAsync(8);
        await page.GotoAsync(Url("/replay?status=dead_lettered&provider=github"));
        await Expect(page.Locator("#replay-count")).ToBeVisibleAsync();
    }

    [Test]
    public async Task At_a_phone_width_pages_fit_the_screen()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var deliveryId = await seed.SendAsync(Stack.Senders, "comment_created.json");
        await using var phone = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Phone, IsMobile = true, HasTouch = true });
        var page = await phone.NewPageAsync();
        await SignInAsync(page);

        foreach (var (path, name) in new[] { ("/deliveries", "phone-deliveries"), ($"/deliveries/{deliveryId}", "phone-delivery"), ($"/integrations/{seed.IntegrationId}", "phone-integration"),
            ("/dead-letters", "phone-dead-letters"), ("/dead-letters/jira", "phone-dead-letter-list"), ("/replay?status=failed", "phone-replay") })
        {
            await page.GotoAsync(Url(path));
            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
            Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{path} scrolls sideways by {overflow} px; wide tables scroll inside their own box");
            if (name == "phone-deliveries")
            {
                await ScreenshotAsync(page, name);
            }
        }
    }
}
