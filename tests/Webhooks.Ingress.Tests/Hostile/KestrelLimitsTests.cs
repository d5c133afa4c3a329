using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Webhooks.Contracts;
using static Webhooks.Ingress.Tests.Hostile.RawHttp;

using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>
/// The ingress on a real Kestrel listener (loopback, any port), driven by raw sockets: what TestServer cannot show —
/// a body refused before it is sent, header limits, and slow clients cut off so they cannot hold every connection.
/// </summary>
[NonParallelizable]
public sealed class KestrelLimitsTests : IngressFixture
{
    private const int MaxConnections = 6;
    private SeededIntegration _integration = null!;

    protected override bool OnKestrel => true;

    protected override void Configure(IWebHostBuilder web) => web
        .UseSetting("Ingress:Limits:RequestHeadersTimeout", "00:00:01")
        .UseSetting("Ingress:Limits:MinRequestBodyGracePeriod", "00:00:01.500")
        .UseSetting("Ingress:Limits:MinRequestBodyBytesPerSecond", "100")
        .UseSetting("Ingress:Limits:MaxConcurrentConnections", MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("Ingress:Limits:MaxRequestHeadersTotalSize", "16384");

    // Tests that may store a delivery make an integration of their own: the others check that nothing was stored on this one.
    [OneTimeSetUp]
    public async Task Seed() => _integration = await App.CreateIntegrationAsync(Provider.Jira);

    [Test]
    public async Task Six_MiB_body_is_answered_413_before_the_client_sends_any_of_it()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {6 * 1024 * 1024}\r\n\r\n");
        // Not one byte of the body is sent: the answer can only come from the declared length.
        var answer = await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(answer, Does.StartWith("HTTP/1.1 413"));
        Assert.That(await App.DeliveriesOfAsync(_integration.Id), Is.Empty);
    }

    [Test]
    public async Task Chunked_body_past_the_limit_is_413_after_at_most_the_limit_is_read()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        var header = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        var sent = 0L;
        // Past 5 MiB by one chunk, then stop sending (without the final chunk): the server must answer from what it has.
        while (sent <= 5 * 1024 * 1024)
        {
            await socket.SendAsync(header);
            await socket.SendAsync(chunk);
            await socket.SendAsync("\r\n"u8.ToArray());
            sent += chunk.Length;
        }
        var answer = await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(answer, Does.StartWith("HTTP/1.1 413"));
    }

    [Test]
    public async Task Oversized_headers_are_answered_431()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nX-Padding: {new string('a', 20_000)}\r\nContent-Length: 2\r\n\r\n{{}}");
        var answer = await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(answer, Does.StartWith("HTTP/1.1 431"));
    }

    [Test]
    public async Task Two_different_Content_Lengths_are_400_and_nothing_is_stored()
    {
        // Which length a proxy in front believed decides where it thinks the next request starts: refused, never guessed.
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{{}}");
        var answer = await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(answer, Does.StartWith("HTTP/1.1 400"));
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Is.Empty);
    }

    [Test]
    public async Task A_request_smuggled_behind_a_Content_Length_under_chunked_encoding_is_not_stored()
    {
        // Content-Length 2 would end the body after "{}" and make the rest a second request to the same endpoint; with
        // Transfer-Encoding chunked the length is ignored (RFC 9112 6.3), so the rest is the first body's chunk data.
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var smuggled = $"POST {integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}";
        var body = "{}" + smuggled;
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" +
            $"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body.Length:x}\r\n{body}\r\n0\r\n\r\n");
        var answer = await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));

        var stored = await App.DeliveriesOfAsync(integration.Id);
        Assert.That(answer, Does.StartWith("HTTP/1.1 200"));
        // The body echoes the callback URL, whose token is never stored (BodyToken).
        Assert.That(stored.Select(d => Encoding.UTF8.GetString(d.Body)), Is.EqualTo(new[] { body.Replace(integration.Token, BodyToken.Placeholder, StringComparison.Ordinal) }),
            "one delivery, holding the whole chunked body; never the smuggled request on its own");
    }

    [TestCase("GET")]
    [TestCase("PUT")]
    [TestCase("PATCH")]
    [TestCase("DELETE")]
    [TestCase("OPTIONS")]
    [TestCase("TRACE")]
    public async Task Other_methods_on_a_webhook_url_are_405_naming_POST_and_HEAD_and_store_nothing(string method)
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        using var http = new HttpClient { BaseAddress = Addresses[0] };
        using var request = new HttpRequestMessage(new HttpMethod(method), integration.Path);
        if (method is "PUT" or "PATCH")
        {
            request.Content = new StringContent("{\"webhookEvent\":\"comment_created\"}", Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(response.Content.Headers.Allow, Is.EquivalentTo(new[] { "POST", "HEAD" }));
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Is.Empty);
    }

    [Test]
    public async Task Client_trickling_its_headers_is_disconnected_after_the_headers_timeout()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\n");
        var closed = await TrickleUntilClosedAsync(socket, "X-Slow: ", TimeSpan.FromSeconds(15));
        Assert.That(closed, Is.True, "Kestrel must close a connection whose headers never finish (RequestHeadersTimeout 1 s)");
    }

    [Test]
    public async Task Client_trickling_its_body_is_cut_off_by_the_minimum_data_rate()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
        var closed = await TrickleUntilClosedAsync(socket, "", TimeSpan.FromSeconds(20));
        Assert.That(closed, Is.True, "Kestrel must cut off a body arriving below 100 B/s after the 1.5 s grace period");
        Assert.That(await App.DeliveriesOfAsync(_integration.Id), Is.Empty);
    }

    [Test]
    public async Task Body_that_stalls_is_answered_408_with_a_reason_and_nothing_is_stored()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"webhookEvent\":");

        // Nothing more is sent: past the grace period the body rate is below the minimum, and the answer says so.
        var answer = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.That(answer.ToString(), Does.StartWith("HTTP/1.1 408"));
        Assert.That(answer.ToString(), Does.Contain("body_not_received"), "the sender is told why, not handed a bare server error");
        Assert.That(await App.DeliveriesOfAsync(_integration.Id), Is.Empty);
    }

    [Test]
    public async Task Slowloris_holding_every_connection_is_dropped_and_a_real_sender_is_served_again()
    {
        // Fill every connection slot with clients that trickle headers forever.
        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < MaxConnections; i++)
            {
                var socket = await ConnectAsync();
                await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\n");
                slow.Add(socket);
            }
            var trickling = slow.Select(socket => TrickleUntilClosedAsync(socket, "X-Slow: ", TimeSpan.FromSeconds(20))).ToList();

            // The sender retries like a real one until it is served; the slow clients must be dropped for that to happen.
            await Eventually.GetAsync("a real sender to be served while slow clients held the connections", TryPostAsync,
                answer => answer?.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20));
            var closed = await Task.WhenAll(trickling);
            Assert.That(closed, Is.All.True, "every slow client is disconnected");
        }
        finally
        {
            slow.ForEach(socket => socket.Dispose());
        }
    }

    private async Task<string?> TryPostAsync()
    {
        try
        {
            using var socket = await ConnectAsync();
            var body = "{\"webhookEvent\":\"comment_created\"}";
            await SendAsync(socket, $"POST {_integration.Path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
            return await TryReadAnswerAsync(socket, TimeSpan.FromSeconds(5));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private Task<Socket> ConnectAsync() => RawHttp.ConnectAsync(Addresses[0]);

    /// <summary>Sends one byte every 300 ms until the server closes the connection (true) or the bound passes (false).</summary>
    private static async Task<bool> TrickleUntilClosedAsync(Socket socket, string prefix, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        try
        {
            if (prefix.Length > 0)
            {
                await SendAsync(socket, prefix);
            }
            var buffer = new byte[4096];
            while (DateTime.UtcNow < deadline)
            {
                await socket.SendAsync("a"u8.ToArray());
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    // A 408 answer or a close both end it; a read of 0 bytes is the close.
                    var read = await socket.ReceiveAsync(buffer, wait.Token);
                    if (read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 4", StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
                catch (OperationCanceledException)
                {
                    // Nothing from the server yet: trickle on.
                }
            }
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
