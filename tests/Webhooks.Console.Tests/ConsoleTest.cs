using System.Net;
using Microsoft.Playwright;
using Microsoft.Playwright.NUnit;

namespace Webhooks.Console.Tests;

/// <summary>
/// A test in a real browser: Debian's Chromium launched by path (nothing downloaded), a fresh context per test (its own
/// cookies), 1280×800 unless a test asks otherwise. Helpers speak as the operator (sign in, take a screenshot) and
/// seed data through the admin API and the senders' own requests.
/// </summary>
public abstract class ConsoleTest : PlaywrightTest
{
    protected static ConsoleStack Stack => ConsoleSetUp.Stack;

    /// <summary>The admin API as the operator calls it, with the stack's admin key.</summary>
    protected static AdminClient Admin => new(Stack.Admin);

    protected IBrowser Browser { get; private set; } = null!;
    protected IBrowserContext Context { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;

    protected static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    protected static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    [SetUp]
    public async Task Open_a_browser()
    {
        // The machine's cores are shared: give page loads and auto-waiting assertions room.
        SetDefaultExpectTimeout(20_000);
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleSetUp.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-extensions", "--disable-default-apps"],
        });
        Context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Desktop });
        Context.SetDefaultTimeout(20_000);
        Page = await Context.NewPageAsync();
    }

    [TearDown]
    public async Task Close_the_browser()
    {
        await Context.CloseAsync();
        await Browser.CloseAsync();
    }

    protected static string Url(string path) => Stack.ConsoleUrl + path;

    protected async Task SignInAsync(IPage? page = null)
    {
        page ??= Page;
        await page.GotoAsync(Url("/sign-in"));
        await page.GetByLabel("Admin key").FillAsync(ConsoleStack.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        try
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        }
        catch (PlaywrightException)
        {
            Assert.Fail($"Signing in did not open the overview; the browser shows {page.Url}:\n{await page.ContentAsync()}");
        }
    }

    /// <summary>How many times the page fetches itself (an auto-refresh) from now on.</summary>
    protected Func<int> CountRefreshes()
    {
        var count = 0;
        Page.Request += (_, request) =>
        {
            if (request.ResourceType == "fetch") { Interlocked.Increment(ref count); }
        };
        return () => Volatile.Read(ref count);
    }

    /// <summary>
    /// A PNG of the page for docs/console.md: into <c>WEBHOOKS_CONSOLE_SCREENSHOTS</c> when set (docs/console), else
    /// beside the test results, so an ordinary run never changes the committed pictures.
    /// </summary>
    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("WEBHOOKS_CONSOLE_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = false });
    }

    /// <summary>
    /// Jira posts a comment while every attempt to apply the integration's deliveries fails: the worker retries it to the
    /// limit and it ends in <c>webhooks-jira_error</c>. The integration keeps failing until the test heals it.
    /// </summary>
    protected static async Task<Guid> DeadLetterAsync(JiraSeed seed)
    {
        await FailureInjection.FailIntegrationAsync(seed.IntegrationId);
        var deliveryId = await seed.SendAsync(Stack.Senders, "comment_created.json");
        await Eventually.GetAsync("the worker to dead-letter the delivery", () => StatusAsync(deliveryId), status => status == "dead_lettered");
        await Eventually.GetAsync("the message to reach webhooks-jira_error", () => DeadLettersOfAsync(deliveryId), count => count == 1);
        return deliveryId;
    }

    protected static async Task<string?> StatusAsync(Guid deliveryId) =>
        (await Admin.ExpectAsync(HttpMethod.Get, $"/deliveries/{deliveryId}", null, HttpStatusCode.OK)).GetProperty("status").GetString();

    /// <summary>How many messages of webhooks-jira_error name the delivery, as the admin API lists them.</summary>
    protected static async Task<int> DeadLettersOfAsync(Guid deliveryId) =>
        (await Admin.ExpectAsync(HttpMethod.Get, $"/dead-letters/jira?id={deliveryId}", null, HttpStatusCode.OK)).GetProperty("matching").GetInt32();
}
