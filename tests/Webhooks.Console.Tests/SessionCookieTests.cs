using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

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
    public async Task Past_the_limit_of_wrong_keys_even_the_right_key_is_refused_until_the_window_ends()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        using var first = await SignInAsync(client, "wrong-key-number-one-of-the-same-length!");
        using var second = await SignInAsync(client, "wrong-key-number-two-of-the-same-length!");
        using var right = await SignInAsync(client, ConsoleStack.AdminKey);

        var page = await right.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(right.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.FromMinutes(14)));
            Assert.That(page, Does.Contain("Too many wrong keys from this address"));
            Assert.That(right.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("webhooks-console=", StringComparison.Ordinal)), Is.False);
        });
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
