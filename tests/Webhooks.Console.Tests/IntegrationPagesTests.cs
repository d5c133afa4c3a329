using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Console.Tests;

public sealed class IntegrationPagesTests : ConsoleTest
{
    [Test]
    public async Task The_list_finds_an_integration_by_account_and_shows_its_run_as_user_and_last_delivery()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        await seed.SendAsync(Stack.Senders, "comment_created.json");
        await SignInAsync();

        await Page.GotoAsync(Url("/integrations"));
        await Page.GetByLabel("Search").FillAsync(seed.AccountName);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();

        var row = Page.Locator("tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync(seed.IntegrationName);
        await Expect(row).ToContainTextAsync("Jira bot");
        await Expect(row).ToContainTextAsync("jira v1");
        await Expect(row).ToContainTextAsync("enabled");
        await Expect(row).Not.ToContainTextAsync("never");
        await ScreenshotAsync(Page, "integrations");
    }

    [Test]
    public async Task Disabling_takes_effect_at_once_and_enabling_brings_it_back()
    {
        var seed = await JiraSeed.CreateAsync(Admin, new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" }, apiToken = "jira-api-token-not-shown" });
        await SignInAsync();
        await Page.GotoAsync(Url($"/integrations/{seed.IntegrationId}"));
        await Expect(Page.Locator("#settings")).ToContainTextAsync("\"Done\": \"shipped\"");
        Assert.That(await Page.ContentAsync(), Does.Not.Contain("jira-api-token-not-shown").And.Not.Contain(seed.Token));
        await ScreenshotAsync(Page, "integration");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(Page.GetByText("Disabled: its callback URL answers 410")).ToBeVisibleAsync();
        Assert.That(await PostCommentAsync(seed.WebhookPath), Is.EqualTo(HttpStatusCode.Gone));

        await Page.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(Page.GetByText("Enabled: its callback URL takes webhooks again.")).ToBeVisibleAsync();
        Assert.That(await PostCommentAsync(seed.WebhookPath), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Rotating_shows_the_new_url_once_and_only_it_takes_webhooks()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        await SignInAsync();
        await Page.GotoAsync(Url($"/integrations/{seed.IntegrationId}"));

        await Page.GetByLabel("the old URL stops working").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Rotate token" }).ClickAsync();

        var shown = (await Page.Locator("#new-callback-url").TextContentAsync())!.Trim();
        Assert.That(shown, Does.StartWith(Stack.PublicUrl + "/api/v1/webhooks/"));
        Assert.Multiple(async () =>
        {
            Assert.That(await PostCommentAsync(new Uri(shown).AbsolutePath), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await PostCommentAsync(seed.WebhookPath), Is.EqualTo(HttpStatusCode.Gone));
        });
        await Page.GotoAsync(Url($"/integrations/{seed.IntegrationId}"));
        Assert.That(await Page.ContentAsync(), Does.Not.Contain(new Uri(shown).AbsolutePath), "shown once only");
    }

    [Test]
    public async Task An_Asana_integration_opens_its_handshake_window_and_others_do_not_offer_one()
    {
        var jira = await JiraSeed.CreateAsync(Admin);
        var asana = await Admin.CreateIntegrationAsync(jira.ProductId, jira.RunAsUserId, "asana");
        await SignInAsync();

        await Page.GotoAsync(Url($"/integrations/{jira.IntegrationId}"));
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open handshake window (15 min)" })).ToHaveCountAsync(0);
        await Page.GotoAsync(Url($"/integrations/{asana.GetProperty("id").GetGuid()}"));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Open handshake window (15 min)" }).ClickAsync();

        await Expect(Page.GetByText("Handshake window open for 15 minutes")).ToBeVisibleAsync();
        await Expect(Page.GetByText(new System.Text.RegularExpressions.Regex("open until \\d{4}-"))).ToBeVisibleAsync();
    }

    [Test]
    public async Task A_new_signing_secret_is_added_and_the_old_one_removed_with_no_delivery_refused_in_between()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        await Admin.PatchIntegrationAsync(seed.IntegrationId, new { signingSecret = "jira-secret-before-rotation" });
        await SignInAsync();
        await Page.GotoAsync(Url($"/integrations/{seed.IntegrationId}"));
        await Expect(RemoveButtons).ToHaveCountAsync(0);

        await Page.GetByLabel("New signing secret").FillAsync("jira-secret-after-rotation");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();

        await Expect(Page.GetByText("Secret added")).ToBeVisibleAsync();
        await Expect(Page.Locator("div.secret")).ToHaveCountAsync(2);
        await Expect(Page.Locator("div.secret", new() { HasText = Fingerprint("jira-secret-after-rotation") })).ToBeVisibleAsync();
        Assert.That(await Page.ContentAsync(), Does.Not.Contain("jira-secret-after-rotation").And.Not.Contain("jira-secret-before-rotation"));
        Assert.Multiple(async () =>
        {
            Assert.That(await PostSignedCommentAsync(seed.WebhookPath, "jira-secret-before-rotation"), Is.EqualTo(HttpStatusCode.OK), "Jira has not switched yet");
            Assert.That(await PostSignedCommentAsync(seed.WebhookPath, "jira-secret-after-rotation"), Is.EqualTo(HttpStatusCode.OK));
        });

        var old = Page.Locator("div.secret", new() { HasText = Fingerprint("jira-secret-before-rotation") });
        await old.GetByLabel("its signatures are refused").CheckAsync();
        await old.GetByRole(AriaRole.Button, new() { Name = $"Remove secret {Fingerprint("jira-secret-before-rotation")}" }).ClickAsync();

        await Expect(Page.GetByText("Secret removed")).ToBeVisibleAsync();
        await Expect(Page.Locator("div.secret")).ToHaveCountAsync(1);
        await Expect(RemoveButtons).ToHaveCountAsync(0, new() { Timeout = 1_000 });
        Assert.Multiple(async () =>
        {
            Assert.That(await PostSignedCommentAsync(seed.WebhookPath, "jira-secret-before-rotation"), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await PostSignedCommentAsync(seed.WebhookPath, "jira-secret-after-rotation"), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_refused_secret_is_shown_as_the_admin_API_would_answer_it_and_never_echoed()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var standard = await Admin.CreateIntegrationAsync(seed.ProductId, seed.RunAsUserId, "standard");
        await SignInAsync();
        await Page.GotoAsync(Url($"/integrations/{standard.GetProperty("id").GetGuid()}"));

        await Page.GetByLabel("New signing secret").FillAsync("not-a-whsec-secret-0042");
        var answer = await Page.RunAndWaitForResponseAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync(), r => r.Request.Method == "POST");

        Assert.That(answer.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("whsec_");
        await Expect(Page.Locator("div.secret")).ToHaveCountAsync(0);
        Assert.That(await Page.ContentAsync(), Does.Not.Contain("not-a-whsec-secret-0042"));
    }

    /// <summary>Offered only while the integration has more than one secret: the last one would leave it taking unsigned requests.</summary>
    private ILocator RemoveButtons => Page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Remove secret ") });

    private static string Fingerprint(string secret) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)))[..12];

    /// <summary>The recorded comment_created, as Jira sends it with a webhook secret: <c>X-Hub-Signature: sha256=…</c>.</summary>
    private static async Task<HttpStatusCode> PostSignedCommentAsync(string path, string secret)
    {
        var body = PayloadFixtures.Read(Provider.Jira, "comment_created.json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Hub-Signature", "sha256=" + SenderSignatures.HexHmacSha256(secret, body));
        using var response = await Stack.Senders.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> PostCommentAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json")) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // The directory refresh reaches this replica at once (the console refreshes it like the admin API).
        using var response = await Stack.Senders.SendAsync(request);
        return response.StatusCode;
    }
}
