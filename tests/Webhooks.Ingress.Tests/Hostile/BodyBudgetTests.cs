using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using static Webhooks.Ingress.Tests.Hostile.RawHttp;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>
/// Memory a stranger can make the ingress hold (Ingress:Limits:MaxBodyBytesInFlight, RequestDeadline), on a real Kestrel
/// socket: a declared Content-Length reserves nothing, bodies past the process-wide cap are answered 503 with
/// Retry-After, a body still arriving at the deadline is cut off, and a real sender is served throughout. What is held
/// is read from the gauge an operator sees (webhooks.ingress.body.in_flight) and from the runtime's allocation count.
/// </summary>
[NonParallelizable]
public sealed class BodyBudgetTests : IngressFixture
{
    private const int InFlightCap = 1024 * 1024;
    private const string InFlightGauge = "webhooks.ingress.body.in_flight";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(6);

    protected override bool OnKestrel => true;

    protected override void Configure(IWebHostBuilder web) => web
        .UseSetting("Ingress:Limits:MaxBodyBytesInFlight", InFlightCap.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("Ingress:Limits:RequestDeadline", Deadline.ToString());

    [Test]
    public async Task Slow_connections_declaring_5_MiB_hold_only_what_they_sent()
    {
        const int Connections = 50;
        const int Sent = 10;
        var seeded = await Admin.SeedAsync("jira");
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var socket = await ConnectAsync();
                await SendAsync(socket, PostHeaders(seeded.WebhookPath, 5 * 1024 * 1024) + new string('{', Sent));
                slow.Add(socket);
            }
            // Each request is in the endpoint once its ten bytes are counted.
            var held = await WaitForInFlightAsync(bytes => bytes == Connections * Sent, TimeSpan.FromSeconds(3));
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            Assert.Multiple(() =>
            {
                Assert.That(allocated, Is.LessThan(25L * 1024 * 1024),
                    $"{Connections} connections declaring 5 MiB and sending {Sent} bytes each made the process allocate {allocated / 1024 / 1024} MiB");
                Assert.That(held, Is.EqualTo(Connections * Sent), "the in-flight gauge counts the bytes read, not the ones declared");
            });
        }
        finally
        {
            slow.ForEach(socket => socket.Dispose());
        }
        Assert.That(await WaitForInFlightAsync(bytes => bytes == 0, TimeSpan.FromSeconds(10)), Is.Zero, "a request that ends gives its bytes back");
    }

    [Test]
    public async Task Bodies_past_the_in_flight_cap_are_answered_503_with_Retry_After_and_a_real_sender_is_served_after()
    {
        var seeded = await Admin.SeedAsync("jira");
        using (var holder = await ConnectAsync())
        {
            // 800,000 bytes of a 900,000-byte body, then nothing: they stay in flight.
            await SendAsync(holder, PostHeaders(seeded.WebhookPath, 900_000) + new string(' ', 800_000));
            await WaitForInFlightAsync(bytes => bytes >= 800_000, TimeSpan.FromSeconds(3));

            // A whole body of about 400,000 bytes on top goes past the 1 MiB cap.
            using var second = await ConnectAsync();
            var body = "{\"webhookEvent\":\"comment_created\"" + new string(' ', 400_000) + "}";
            await SendAsync(second, PostHeaders(seeded.WebhookPath, body.Length) + body);
            var answer = await ReadAnswerAsync(second, TimeSpan.FromSeconds(10));

            Assert.That(answer, Does.StartWith("HTTP/1.1 503"));
            Assert.That(answer, Does.Contain("Retry-After: 5").IgnoreCase, "the sender is told when to retry");
        }

        Assert.That(await WaitForInFlightAsync(bytes => bytes == 0, TimeSpan.FromSeconds(10)), Is.Zero);
        Assert.That(await DeliveriesAsync(seeded), Is.Empty, "neither the refused body nor the abandoned one is stored");
        Assert.That(await PostJiraCommentAsync(seeded), Does.StartWith("HTTP/1.1 200"), "a real sender is served once the memory is back");
    }

    [Test]
    public async Task Body_still_arriving_at_the_request_deadline_is_cut_off_with_408_and_nothing_is_stored()
    {
        var seeded = await Admin.SeedAsync("jira");
        using var socket = await ConnectAsync();
        await SendAsync(socket, PostHeaders(seeded.WebhookPath, 150_000));

        // 10 KB/s: far above Kestrel's minimum data rate, so only the deadline can stop it before the 15 s it takes.
        var started = DateTime.UtcNow;
        string? answer = null;
        var chunk = new string(' ', 2_000);
        for (var sent = 0; sent < 150_000 && answer is null; sent += chunk.Length)
        {
            try
            {
                await SendAsync(socket, chunk);
            }
            catch (SocketException)
            {
                break;
            }
            answer = await TryReadAnswerAsync(socket, TimeSpan.FromMilliseconds(200));
        }
        answer ??= await ReadAnswerAsync(socket, TimeSpan.FromSeconds(5));
        var elapsed = DateTime.UtcNow - started;

        Assert.Multiple(async () =>
        {
            Assert.That(answer, Does.StartWith("HTTP/1.1 408"));
            Assert.That(answer, Does.Contain("body_not_received"));
            Assert.That(elapsed, Is.LessThan(Deadline + TimeSpan.FromSeconds(3)), "cut off at the deadline, not when the body finished");
            Assert.That(await DeliveriesAsync(seeded), Is.Empty, "nothing of the half body is stored");
        });
        Assert.That(await PostJiraCommentAsync(seeded), Does.StartWith("HTTP/1.1 200"));
    }

    [Test]
    public async Task Real_sender_is_served_and_leaves_nothing_in_flight()
    {
        var seeded = await Admin.SeedAsync("jira");

        Assert.That(await PostJiraCommentAsync(seeded), Does.StartWith("HTTP/1.1 200"));
        Assert.That(await WaitForInFlightAsync(bytes => bytes == 0, TimeSpan.FromSeconds(5)), Is.Zero);
        Assert.That(await DeliveriesAsync(seeded), Has.Length.EqualTo(1));
    }

    private async Task<string> PostJiraCommentAsync(Seeded seeded)
    {
        using var socket = await ConnectAsync();
        var body = Webhooks.Testing.PayloadFixtures.ReadText(Contracts.Provider.Jira, "comment_created.json");
        await SendAsync(socket, PostHeaders(seeded.WebhookPath, Encoding.UTF8.GetByteCount(body)) + body);
        return await ReadAnswerAsync(socket, TimeSpan.FromSeconds(10));
    }

    private async Task<System.Text.Json.JsonElement[]> DeliveriesAsync(Seeded seeded) =>
        (await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{seeded.IntegrationId}/deliveries"), HttpStatusCode.OK))
        .EnumerateArray().ToArray();

    /// <summary>The ingress's in-flight gauge, as a metrics exporter reads it, once it satisfies the condition (null: no gauge).</summary>
    private async Task<long> WaitForInFlightAsync(Func<long, bool> condition, TimeSpan within) =>
        (await Eventually.GetAsync($"{InFlightGauge} to reach the expected bytes", () => Task.FromResult(ReadInFlight()), bytes => bytes is { } value && condition(value), within)).GetValueOrDefault();

    private long? ReadInFlight()
    {
        // Only this ingress's meter: other test classes may have an ingress of their own in this process.
        var meters = App.Services.GetRequiredService<IMeterFactory>();
        long? value = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == InFlightGauge && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => value = measurement);
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    private Task<Socket> ConnectAsync() => RawHttp.ConnectAsync(Addresses[0]);
}
