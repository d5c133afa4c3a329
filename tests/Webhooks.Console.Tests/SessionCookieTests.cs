using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Webhooks.Console.Tests;

/// <summary>
/// What a browser cannot show: the cookie flags over https and the sign-in limit, through HTTP against an ingress of
/// its own (in-process, on the run's database) whose limit is 2 wrong keys per 15 minutes.
/// </summary>
public sealed partial class SessionCookieTests
{
    private TestIngress _app = null!;

    [OneTimeSetUp]
    public void Start() => _app = IngressWithSmallLimit(ConsoleSetUp.Database.ConnectionString, ConsoleSetUp.VirtualHost.Name);

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    [Test]
    public async Task Over_https_the_session_cookie_is_secure_http_only_and_strict()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://console.example.test"), AllowAutoRedirect = false, HandleCookies = false });

        using var answer = await SignInAsync(client, ConsoleStack.AdminKey);

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.Found));
        var session = answer.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("webhooks-console=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Multiple(() =>
        {
            Assert.That(session, Does.Contain("; secure"));
            Assert.That(session, Does.Contain("; httponly"));
            Assert.That(session, Does.Contain("; samesite=strict"));
            Assert.That(session, Does.Contain("; path=/console"));
            Assert.That(session, Does.Not.Contain("expires="), "a session cookie");
        });
    }

    [Test]
    public async Task Past_the_limit_wrong_keys_are_refused_until_the_window_ends_and_the_right_key_still_signs_in()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        using var first = await SignInAsync(client, "wrong-key-number-one-of-the-same-length!");
        using var second = await SignInAsync(client, "wrong-key-number-two-of-the-same-length!");
        using var third = await SignInAsync(client, "wrong-key-number-three-of-the-same-length");
        using var right = await SignInAsync(client, ConsoleStack.AdminKey);

        var page = await third.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(third.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.FromMinutes(14)));
            Assert.That(page, Does.Contain("Too many wrong keys from this address"));
            Assert.That(third.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("webhooks-console=", StringComparison.Ordinal)), Is.False);
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.Found), "the right key is never refused");
            Assert.That(right.Headers.GetValues("Set-Cookie"), Has.Some.StartsWith("webhooks-console="));
        });
    }

    /// <summary>
    /// A session ends at <c>Console:SessionLifetime</c> after signing in, however busy (no sliding renewal): past it the
    /// console sends the operator to the sign-in page. The ingress's clock is moved, not waited for.
    /// </summary>
    [Test]
    public async Task A_session_past_its_lifetime_is_sent_to_the_sign_in_page()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = TestIngress.Settings(ConsoleSetUp.Database.ConnectionString, ConsoleSetUp.VirtualHost.Name, ConsoleStack.AdminKey);
        settings["Console:SessionLifetime"] = "00:30:00";
        settings["Logging:LogLevel:Default"] = "Warning";
        await using var ingress = new TestIngress(settings, web => web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock)));
        using var client = ingress.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var session = SessionCookie(await SignInAsync(client, ConsoleStack.AdminKey));

        clock.Advance(TimeSpan.FromMinutes(29));
        using var within = await GetWithAsync(client, "/console", session);
        clock.Advance(TimeSpan.FromMinutes(2));
        using var past = await GetWithAsync(client, "/console", session);

        Assert.That(within.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(past.StatusCode, Is.EqualTo(HttpStatusCode.Found));
        Assert.That(past.Headers.Location?.ToString(), Does.Contain("/console/sign-in"));
    }

    /// <summary>
    /// A session carries which admin key it was made with: once the key is changed (the ingress restarted with another),
    /// sessions made with the old one are refused, although the key ring still decrypts their cookie.
    /// </summary>
    [Test]
    public async Task A_session_made_with_another_admin_key_is_refused()
    {
        const string NewKey = "console-tests-the-rotated-admin-key-0123456";
        var settings = TestIngress.Settings(ConsoleSetUp.Database.ConnectionString, ConsoleSetUp.VirtualHost.Name, NewKey);
        settings["Logging:LogLevel:Default"] = "Warning";
        await using var rotated = new TestIngress(settings);
        using var before = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var after = rotated.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var oldSession = SessionCookie(await SignInAsync(before, ConsoleStack.AdminKey));
        var newSession = SessionCookie(await SignInAsync(after, NewKey));

        using var refused = await GetWithAsync(after, "/console", oldSession);
        using var accepted = await GetWithAsync(after, "/console", newSession);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Found));
        Assert.That(refused.Headers.Location?.ToString(), Does.Contain("/console/sign-in"));
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same key ring reads the new key's session");
    }

    private static string SessionCookie(HttpResponseMessage signIn)
    {
        using (signIn)
        {
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Found), "signed in");
            return signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("webhooks-console=", StringComparison.Ordinal)).Split(';')[0];
        }
    }

    private static Task<HttpResponseMessage> GetWithAsync(HttpClient client, string path, string cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return client.SendAsync(request);
    }

    /// <summary>The sign-in form as a browser posts it: its anti-forgery token and cookie from the page, then the key.</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string key)
    {
        using var form = await client.GetAsync("/console/sign-in");
        var html = await form.Content.ReadAsStringAsync();
        var token = TokenField().Match(html).Groups[1].Value;
        var cookie = form.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("webhooks-console-antiforgery=", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "sign-in", ["__RequestVerificationToken"] = token, ["Key"] = key }),
        };
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>The tests' ingress with a sign-in limit of 2 wrong keys per 15 minutes.</summary>
    private static TestIngress IngressWithSmallLimit(string connectionString, string virtualHost)
    {
        var settings = TestIngress.Settings(connectionString, virtualHost, ConsoleStack.AdminKey);
        settings["Console:SignInFailureLimit"] = "2";
        settings["Console:SignInFailureWindow"] = "00:15:00";
        settings["Logging:LogLevel:Default"] = "Warning";
        return new TestIngress(settings);
    }
}
