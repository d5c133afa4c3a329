using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

public sealed class SignInTests : ConsoleTest
{
    [Test]
    public async Task A_wrong_key_is_refused_with_a_message_and_opens_nothing()
    {
        await Page.GotoAsync(Url("/sign-in"));
        await ScreenshotAsync(Page, "sign-in");

        await Page.GetByLabel("Admin key").FillAsync("not-the-admin-key-but-just-as-long-as-it");
        var answer = await Page.RunAndWaitForResponseAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), response => response.Request.Method == "POST");

        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not the admin key.");
        Assert.That(answer.Status, Is.EqualTo(401));
        Assert.That((await Context.CookiesAsync()).Select(c => c.Name), Does.Not.Contain("webhooks-console"));
        await Page.GotoAsync(Url("/deliveries"));
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in\\?returnUrl="));
    }

    [Test]
    public async Task Signing_in_sets_an_http_only_strict_session_cookie_and_signing_out_ends_it()
    {
        await SignInAsync();
        await ScreenshotAsync(Page, "overview");

        var session = (await Context.CookiesAsync()).Single(c => c.Name == "webhooks-console");
        Assert.Multiple(() =>
        {
            Assert.That(session.HttpOnly, Is.True);
            Assert.That(session.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
            Assert.That(session.Path, Is.EqualTo("/console"));
            Assert.That(session.Expires, Is.EqualTo(-1), "a session cookie: it ends with the browser");
            Assert.That(session.Secure, Is.False, "served over http here; over https it is Secure (SessionCookieTests)");
        });
        Assert.That(await Page.EvaluateAsync<string>("document.cookie"), Does.Not.Contain("webhooks-console"), "scripts cannot read it");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(Page.GetByText("Signed out.")).ToBeVisibleAsync();
        await Page.GotoAsync(Url(""));
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in"));
    }

    [Test]
    public async Task After_signing_in_the_operator_lands_on_the_page_they_asked_for_and_never_elsewhere()
    {
        await Page.GotoAsync(Url("/integrations"));
        await Page.GetByLabel("Admin key").FillAsync(ConsoleStack.AdminKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Integrations" })).ToBeVisibleAsync();

        await Context.ClearCookiesAsync();
        await Page.GotoAsync(Url("/sign-in?returnUrl=" + Uri.EscapeDataString("//evil.example.test/console")));
        await Page.GetByLabel("Admin key").FillAsync(ConsoleStack.AdminKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        Assert.That(new Uri(Page.Url).Authority, Is.EqualTo(new Uri(Stack.AdminUrl).Authority));
    }
}
