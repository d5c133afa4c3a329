using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Webhooks.Console.Tests;

/// <summary>
/// The dead-letter pages against the real error queue: messages made the way they happen (a sender's webhook failing past
/// the retry limit), and every effect checked through the admin API, which reads the same queue.
/// </summary>
public sealed class DeadLetterPagesTests : ConsoleTest
{
    [Test]
    public async Task A_dead_lettered_delivery_is_replayed_from_the_dead_letter_page_and_applied_once()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var deliveryId = await DeadLetterAsync(seed);
        await FailureInjection.HealIntegrationAsync(seed.IntegrationId);
        await SignInAsync();

        // The overview counts the error queue and links it.
        var jira = Page.Locator("#providers tbody tr").Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = "jira", Exact = true }) });
        await jira.Locator("td").Nth(2).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Dead letters: jira" })).ToBeVisibleAsync();
        await Page.GetByLabel("Message or delivery id").FillAsync(deliveryId.ToString());
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var row = Page.Locator("#dead-letter-messages tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("injected transient failure");
        await Expect(row).ToContainTextAsync("PostgresException");
        await Expect(row).ToContainTextAsync(seed.IntegrationName);
        await ScreenshotAsync(Page, "dead-letter-list");

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(Page.Locator("#dead-letter-reason")).ToContainTextAsync("injected transient failure");
        await Expect(Page.GetByText("never replayed")).ToBeVisibleAsync();
        await ScreenshotAsync(Page, "dead-letter");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex($"/console/deliveries/{deliveryId}\\?replayed=1$"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Delivery processed" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(Page.Locator("table").Filter(new() { HasText = "As user" }).Locator("tbody tr")).ToHaveCountAsync(1);
        var record = await Admin.GetRecordAsync(seed.RecordId);
        var delivery = await Admin.ExpectAsync(HttpMethod.Get, $"/deliveries/{deliveryId}", null, HttpStatusCode.OK);
        Assert.Multiple(async () =>
        {
            Assert.That(record.GetProperty("comments").GetArrayLength(), Is.EqualTo(1), "the comment is applied once");
            Assert.That(delivery.GetProperty("outcome").GetProperty("applied").GetInt32(), Is.EqualTo(1));
            Assert.That(await DeadLettersOfAsync(deliveryId), Is.Zero, "the message left the error queue");
        });

        // The delivery names its last replay, whose progress page says it is done.
        var replayId = delivery.GetProperty("replayId").GetGuid();
        await Page.Locator("#last-replay").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($"/console/replay/{replayId}$"));
        await Expect(Page.Locator("#replay-state")).ToHaveTextAsync("done");
        await Expect(Page.Locator("#replay-finished")).ToHaveTextAsync("1");
    }

    [Test]
    public async Task Purging_a_dead_letter_needs_its_confirmation_and_removes_the_message()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var deliveryId = await DeadLetterAsync(seed);
        await SignInAsync();
        await Page.GotoAsync(Url("/dead-letters"));
        await Expect(Page.Locator("#dead-letter-queues tbody tr").Filter(new() { HasText = "webhooks-github_error" })).ToContainTextAsync("none");
        await ScreenshotAsync(Page, "dead-letters");

        await Page.GotoAsync(Url($"/dead-letters/jira/{deliveryId}"));
        await Page.GetByRole(AriaRole.Link, new() { Name = "Purge…" }).ClickAsync();
        await Expect(Page.Locator("#purge-preview")).ToBeVisibleAsync();
        Assert.That(await DeadLettersOfAsync(deliveryId), Is.EqualTo(1), "the confirmation step changes nothing");

        var unconfirmed = await Page.RunAndWaitForResponseAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Purge for good" }).ClickAsync(), response => response.Request.Method == "POST");
        Assert.That(unconfirmed.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("tick the box");
        Assert.That(await DeadLettersOfAsync(deliveryId), Is.EqualTo(1), "nothing is purged without the box ticked");

        await Page.GetByLabel("remove it for good").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Purge for good" }).ClickAsync();

        await Expect(Page.GetByText("Purged 1 message(s) for good.")).ToBeVisibleAsync();
        var detail = await Admin.ExpectAsync(HttpMethod.Get, $"/dead-letters/jira/{deliveryId}", null, HttpStatusCode.OK);
        Assert.Multiple(async () =>
        {
            Assert.That(await DeadLettersOfAsync(deliveryId), Is.Zero);
            Assert.That(detail.GetProperty("message").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "in no error queue any more");
            Assert.That(await StatusAsync(deliveryId), Is.EqualTo("dead_lettered"), "the stored delivery is untouched");
        });
    }

    [Test]
    public async Task Filtered_dead_letters_are_counted_by_a_dry_run_then_replayed_on_confirmation()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var first = await DeadLetterAsync(seed);
        var second = await DeadLetterAsync(seed);
        await FailureInjection.HealIntegrationAsync(seed.IntegrationId);
        await SignInAsync();

        await Page.GotoAsync(Url("/dead-letters/jira"));
        await Page.GetByLabel("Message or delivery id").FillAsync($"{first} {second}");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page.Locator("#dead-letter-messages tbody tr")).ToHaveCountAsync(2);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Replay the 2 matching…" }).ClickAsync();

        await Expect(Page.Locator("#replay-count")).ToHaveTextAsync("2 message(s)");
        await ScreenshotAsync(Page, "dead-letters-replay");
        Assert.Multiple(async () =>
        {
            Assert.That(await DeadLettersOfAsync(first) + await DeadLettersOfAsync(second), Is.EqualTo(2), "a dry run changes nothing");
            Assert.That(await StatusAsync(first), Is.EqualTo("dead_lettered"));
        });
        await Page.GetByRole(AriaRole.Button, new() { Name = "Replay 2 message(s)" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("/console/replay/[0-9a-f-]{36}\\?started=2$"));
        await Expect(Page.Locator("#replay-state")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
        await Expect(Page.Locator("#replay-finished")).ToHaveTextAsync("2");
        Assert.Multiple(async () =>
        {
            Assert.That(await DeadLettersOfAsync(first) + await DeadLettersOfAsync(second), Is.Zero);
            Assert.That((await Admin.GetRecordAsync(seed.RecordId)).GetProperty("comments").GetArrayLength(), Is.EqualTo(1),
                "two webhooks carrying the same comment apply it once");
        });
    }

    [Test]
    public async Task Purging_filtered_dead_letters_needs_its_confirmation_and_removes_only_them()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var first = await DeadLetterAsync(seed);
        var second = await DeadLetterAsync(seed);
        var kept = await DeadLetterAsync(seed);
        await SignInAsync();

        await Page.GotoAsync(Url($"/dead-letters/jira?id={first}&id={second}"));
        await Page.GetByRole(AriaRole.Link, new() { Name = "Purge the 2 matching…" }).ClickAsync();
        await Expect(Page.Locator("#purge-count")).ToHaveTextAsync("2 message(s)");
        var unconfirmed = await Page.RunAndWaitForResponseAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Purge 2 message(s)" }).ClickAsync(), response => response.Request.Method == "POST");
        Assert.That(unconfirmed.Status, Is.EqualTo(400));
        Assert.That(await DeadLettersOfAsync(first) + await DeadLettersOfAsync(second), Is.EqualTo(2), "nothing is purged without the box ticked");

        await Page.GetByLabel("remove them for good").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Purge 2 message(s)" }).ClickAsync();

        await Expect(Page.GetByText("Purged 2 message(s) for good.")).ToBeVisibleAsync();
        await Expect(Page.Locator("#dead-letter-summary")).ToContainTextAsync("0 match");
        Assert.Multiple(async () =>
        {
            Assert.That(await DeadLettersOfAsync(first) + await DeadLettersOfAsync(second), Is.Zero);
            Assert.That(await DeadLettersOfAsync(kept), Is.EqualTo(1), "a message outside the filter stays");
        });
    }

    [TestCase("since=yesterday", "since")]
    [TestCase("until=2026-13-45T00:00:00", "until")]
    [TestCase("offset=-1", "offset")]
    [TestCase("limit=many", "limit")]
    [TestCase("limit=0", "The limit must be between 1 and 500.")]
    [TestCase("limit=501&preview=purge", "The limit must be between 1 and 500.")]
    public async Task A_filter_that_does_not_parse_is_400_naming_it(string query, string named)
    {
        await SignInAsync();

        var response = await Page.GotoAsync(Url($"/dead-letters/jira?{query}"));

        Assert.That(response!.Status, Is.EqualTo(400));
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync(named);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Purge" })).ToHaveCountAsync(0);
    }

    /// <summary>
    /// Each new form, posted with the session cookie but without the page's token (or with a forged one), is 400 and
    /// changes nothing. The same posts with the page's real token reach their handlers (which refuse them for another
    /// reason, also without changing anything), so it is the token that stops the forged ones.
    /// </summary>
    [Test]
    public async Task Every_dead_letter_and_replay_form_needs_the_anti_forgery_token()
    {
        var seed = await JiraSeed.CreateAsync(Admin);
        var deliveryId = await DeadLetterAsync(seed);
        await SignInAsync();
        var token = await Page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var at = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");

        // (path, form, fields that would change something, the handler's refusal when those are left out, its text)
        var forms = new (string Path, string Handler, Dictionary<string, string> Acting, Dictionary<string, string> Refused, string Refusal)[]
        {
            ($"/dead-letters/jira/{deliveryId}", "replay", [], [], ""),
            ($"/dead-letters/jira/{deliveryId}?preview=purge", "purge", new() { ["confirm"] = "yes" }, [], "tick the box"),
            ($"/dead-letters/jira?id={deliveryId}&preview=replay", "replay-matching", new() { ["at"] = at, ["max"] = "1" }, new() { ["at"] = at, ["max"] = "0" }, "max:"),
            ($"/dead-letters/jira?id={deliveryId}&preview=purge", "purge-matching", new() { ["at"] = at, ["confirm"] = "yes" }, new() { ["at"] = at }, "tick the box"),
            ($"/replay?status=dead_lettered&integrationId={seed.IntegrationId}", "bulk-replay", new() { ["at"] = at, ["count"] = "1" }, new() { ["at"] = at, ["count"] = "0" }, "count:"),
        };
        foreach (var form in forms)
        {
            var withoutToken = await PostAsync(form.Path, form.Handler, form.Acting, token: null);
            var forgedToken = await PostAsync(form.Path, form.Handler, form.Acting, token: "CfDJ8forged");
            Assert.Multiple(async () =>
            {
                Assert.That(withoutToken.Status, Is.EqualTo(400), $"{form.Handler} without a token");
                Assert.That(forgedToken.Status, Is.EqualTo(400), $"{form.Handler} with a forged token");
                Assert.That(await DeadLettersOfAsync(deliveryId), Is.EqualTo(1), $"{form.Handler}: the message is still there");
                Assert.That(await StatusAsync(deliveryId), Is.EqualTo("dead_lettered"), $"{form.Handler}: the delivery was not replayed");
            });
        }

        foreach (var form in forms)
        {
            // The one-message replay has no field to leave out: a message that is not there makes its handler refuse.
            var (path, refusal) = form.Handler == "replay" ? ("/dead-letters/jira/no-such-message", "No message or delivery no-such-message") : (form.Path, form.Refusal);
            var withToken = await PostAsync(path, form.Handler, form.Refused, token);
            Assert.That(await withToken.TextAsync(), Does.Contain(refusal), $"{form.Handler} with the page's token reaches its handler (answered {withToken.Status})");
        }
        Assert.That(await DeadLettersOfAsync(deliveryId), Is.EqualTo(1));
    }

    private async Task<IAPIResponse> PostAsync(string path, string handler, Dictionary<string, string> fields, string? token)
    {
        var form = Context.APIRequest.CreateFormData().Set("_handler", handler);
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }
        if (token is not null)
        {
            form.Set("__RequestVerificationToken", token);
        }
        return await Context.APIRequest.PostAsync(Url(path), new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
    }
}
