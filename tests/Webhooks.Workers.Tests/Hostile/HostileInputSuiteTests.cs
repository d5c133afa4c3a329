using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress;
using Webhooks.Workers.Health;
using Webhooks.Workers.Tests.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;

namespace Webhooks.Workers.Tests.Hostile;

/// <summary>
/// The hostile-input suite of issue 11, through the real stack: for every sender and every recording in
/// tests/Fixtures/Providers/&lt;Provider&gt;/, hostile copies go out as that sender's own request, signed with the
/// integration's secret so they get past the door, to the in-process ingress (admin API and webhook endpoint), through
/// PostgreSQL, the outbox relay and RabbitMQ (a vhost of this suite's own) to a real worker that consumes every sender's
/// queue and calls a loopback fake of the Asana and Smartsheet APIs. Integrations, secrets, API tokens and links are
/// made through the admin API. What must hold: no answer but 200, a 4xx or the documented 503 (with Retry-After);
/// every delivery answered 200 reaches processed, duplicate, ignored or failed (never dead-lettered: a hostile payload
/// is a permanent failure, not a transient one; one attempt) within 10 s of its acceptance; a failure says why; the
/// worker stays ready and still applies a normal delivery afterwards, and nothing lands in an error queue.
/// <para>
/// "Every length" is the parser-level test's (Providers/ParserRobustnessTests: every parser over every recording cut
/// at every length, 5,000 flipped copies each). Through the whole stack each recording gets
/// <see cref="CutsPerRecording"/> seeded cuts, one in each equal stretch of its length, and
/// <see cref="FlippedCopiesPerRecording"/> seeded flipped copies (about 5,000 requests in all), which keeps the suite
/// at about a minute alone on two cores and two to three minutes on a busy machine.
/// </para>
/// </summary>
[NonParallelizable]
public sealed class HostileInputSuiteTests
{
    private const int CutsPerRecording = 64;
    private const int FlippedCopiesPerRecording = 48;
    private const int RequestsAtOnce = 8;
    private const int MaxLinkedItems = 12;
    private static readonly TimeSpan FinalWithin = TimeSpan.FromSeconds(10);
    private static readonly string[] Final = ["processed", "duplicate", "ignored", "failed"];

    private TestVirtualHost _vhost = null!;
    private FakeProviderApi _api = null!;
    private WorkerApplication _worker = null!;
    private AdminIngress _ingress = null!;
    private HttpClient _senders = null!;
    private int _serial;

    public static IEnumerable<TestCaseData> Providers() =>
        ProviderNames.All.Select(provider => new TestCaseData(provider).SetArgDisplayNames(provider.ToWireName()));

    [OneTimeSetUp]
    public async Task Start_the_stack_on_a_vhost_of_its_own()
    {
        _vhost = await TestVirtualHost.CreateAsync("hostile");
        _api = await StartAsync();
        // What the normal deliveries' fetches read; every other item is 404 (gone), which the hostile ones meet.
        _api.On("tasks/1199170056173519", Json("""{"data":{"gid":"1199170056173519","name":"Ship it","completed":true,"memberships":[]}}"""))
            .On("sheets/1229759569678212/rows/6151780615131012", Json("""
                {"id":6151780615131012,"columns":[{"id":1,"title":"Task","primary":true},{"id":2477271520333700,"title":"Stage"}],
                 "cells":[{"columnId":1,"value":"Row"},{"columnId":2477271520333700,"value":"Done","displayValue":"Done"}]}
                """));
        _worker = await WorkerApplication.StartAsync(
        [
            $"--RabbitMqTransport:VHost={_vhost.Name}",
            $"--Workers:Providers={string.Join(',', ProviderNames.All.Select(p => p.ToWireName()))}",
            $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}",
            .. FetchingFixture.QuickFetching,
        ]);
        _ingress = await AdminIngress.StartNewAsync(settings: new Dictionary<string, string?> { ["RabbitMqTransport:VHost"] = _vhost.Name });
        _senders = _ingress.CreateClient();
    }

    [OneTimeTearDown]
    public async Task Stop_it()
    {
        _senders?.Dispose();
        if (_ingress is not null)
        {
            await _ingress.DisposeAsync();
        }
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [TestCaseSource(nameof(Providers))]
    public async Task Every_recording_cut_and_byte_flipped_and_signed_by_its_sender_reaches_a_final_status_within_10_s(Provider provider)
    {
        var sender = HostileSender.For(provider);
        var tenant = await _ingress.Admin.CreateTenantAsync();
        var run = new Run(provider);
        foreach (var fixture in Recordings(provider))
        {
            var body = PayloadFixtures.Read(provider, fixture);
            var random = new Random(PayloadFixtures.StableSeed(provider, fixture));
            var target = await TargetAsync(sender, tenant, fixture, body);
            var copies = HostileBodies.Cuts(body, CutsPerRecording, random).Concat(HostileBodies.Flips(body, FlippedCopiesPerRecording, random));
            await RunAsync(run, target, [.. copies.Select(copy => Signed(sender, target, fixture, $"{fixture} {copy.What}", copy.Body))]);
        }

        await AssertStillServingAsync(run, sender, tenant);
        run.AssertNoProblems();
    }

    [TestCaseSource(nameof(Providers))]
    public async Task Attacks_inside_each_recording_and_hostile_whole_bodies_signed_by_the_sender_reach_a_final_status_within_10_s(Provider provider)
    {
        var sender = HostileSender.For(provider);
        var tenant = await _ingress.Admin.CreateTenantAsync();
        var run = new Run(provider);
        var fixtures = Recordings(provider);
        foreach (var (fixture, index) in fixtures.Select((f, i) => (f, i)))
        {
            var body = PayloadFixtures.Read(provider, fixture);
            var target = await TargetAsync(sender, tenant, fixture, body);
            // 4 MiB copies once per sender: each is stored, relayed and read by the worker whole.
            var attacks = HostileBodies.InPlace(fixture, body, withFourMiB: index == 0);
            await RunAsync(run, target, [.. attacks.Select(attack => Signed(sender, target, fixture, $"{fixture} with {attack.What}", attack.Body))]);
        }

        var sampleFixture = fixtures[0];
        var sample = PayloadFixtures.Read(provider, sampleFixture);
        var whole = await TargetAsync(sender, tenant, sampleFixture, sample);
        var xml = sender.ContentType.Contains("xml", StringComparison.OrdinalIgnoreCase);
        var requests = HostileBodies.Whole(sample, xml).Select(attack => Signed(sender, whole, sampleFixture, attack.What, attack.Body)).ToList();
        var overLimit = new byte[_ingress.Services.GetRequiredService<IOptions<IngressOptions>>().Value.MaxBodyBytes + 1];
        requests.Add(Signed(sender, whole, sampleFixture, "a body one byte over Ingress:MaxBodyBytes", overLimit) with { Expected = [HttpStatusCode.RequestEntityTooLarge] });
        requests.AddRange(OddHeadersAndContentTypes(sender, whole, sampleFixture, sample));
        await RunAsync(run, whole, requests);

        await AssertStillServingAsync(run, sender, tenant);
        run.AssertNoProblems();
    }

    [TestCaseSource(nameof(Providers))]
    public async Task Unsigned_and_wrongly_signed_requests_are_401_recorded_rejected_and_never_queued(Provider provider)
    {
        var sender = HostileSender.For(provider);
        var tenant = await _ingress.Admin.CreateTenantAsync();
        var run = new Run(provider);
        var fixture = Recordings(provider)[0];
        var sample = PayloadFixtures.Read(provider, fixture);
        var refusing = new List<(Target Target, int Sent)>();

        if (sender.SigningSecret is not null || sender.SecretByHandshake)
        {
            var target = await TargetAsync(sender, tenant, fixture, sample);
            var requests = WronglySigned(sender, target, fixture, sample).ToList();
            await RunAsync(run, target, requests);
            refusing.Add((target, requests.Count));
        }
        if (sender.CheckedSettings is not null)
        {
            var target = await TargetAsync(sender, tenant, fixture, sample, sender.CheckedSettings);
            var requests = sender.FromAnotherSender(sample)
                .Select(other => Signed(sender, target, fixture, $"{fixture} from {other.What}", other.Body) with { Expected = [HttpStatusCode.Unauthorized] })
                .ToList();
            await RunAsync(run, target, requests);
            refusing.Add((target, requests.Count));
        }
        Assert.That(refusing, Is.Not.Empty, $"{provider} neither signs nor names its sender: the suite has nothing to refuse for it");

        // A normal delivery goes through the outbox relay after them: the refused ones must still be sitting unpublished.
        await AssertStillServingAsync(run, sender, tenant);
        foreach (var (target, sent) in refusing)
        {
            var log = await LogAsync(target);
            var rejected = log.Where(d => Status(d) == "rejected").ToList();
            run.Check(rejected.Count == sent, "refused requests not all recorded rejected",
                $"{sent} refused requests, {rejected.Count} rejected deliveries: {string.Join(", ", log.Select(Status))}");
            foreach (var delivery in rejected)
            {
                var detail = await _ingress.Admin.ExpectAsync(HttpMethod.Get, $"/deliveries/{Id(delivery)}", null, HttpStatusCode.OK);
                run.Check(detail.GetProperty("publishedAt").ValueKind == JsonValueKind.Null && detail.GetProperty("attempts").GetInt32() == 0,
                    "a rejected delivery was queued", detail.ToString());
                run.Check(!string.IsNullOrWhiteSpace(detail.GetProperty("error").GetString()), "a rejected delivery without a reason", detail.ToString());
            }
        }
        run.AssertNoProblems();
    }

    /// <summary>The sender's recordings; a sender without any fails here, so a new one cannot go untested.</summary>
    private static List<string> Recordings(Provider provider)
    {
        var fixtures = Directory.Exists(PayloadFixtures.Folder(provider)) ? PayloadFixtures.All(provider).ToList() : [];
        Assert.That(fixtures, Is.Not.Empty, $"{provider} has no recorded payloads in tests/Fixtures/Providers/{provider}/");
        return fixtures;
    }

    private sealed record Target(CreatedIntegration Integration, string Path, string CallbackUrl, string? Secret, string Fixture);

    /// <summary>
    /// A request as the test sends it. <see cref="Expected"/> null: the body is the sender's, signed, so the ingress,
    /// which judges only the token, the size and the signature, must take it (200); empty: any clear answer will do.
    /// </summary>
    /// <param name="Path">Another spelling of the callback path than the target's, when set.</param>
    private sealed record Request(string What, byte[] Body, IReadOnlyList<string> ContentTypes, IReadOnlyList<KeyValuePair<string, string>> Headers,
        IReadOnlyList<HttpStatusCode>? Expected = null, string? Path = null);

    private sealed record Answer(Request Request, HttpStatusCode Status, string Text, Guid? DeliveryId, bool Handshake, DateTimeOffset At, string? RetryAfter);

    /// <summary>
    /// An integration of the sender through the admin API, its secret (the admin API's signingSecret, or the sender's own
    /// handshake), and a record linked to each id the recording names, so hostile changes reach the applier.
    /// </summary>
    private async Task<Target> TargetAsync(HostileSender sender, Tenant tenant, string fixture, byte[] body, object? settings = null)
    {
        var integration = await _ingress.Admin.CreateIntegrationAsync(tenant, sender.Provider.ToWireName(), settings ?? sender.Settings(_api.BaseUrl), sender.SigningSecret);
        var path = $"/api/v1/webhooks/{integration.Token}";
        if (sender.SecretByHandshake)
        {
            var (status, text) = await _ingress.SendWebhookAsync(integration, [], new Dictionary<string, string> { [sender.HandshakeHeaders[0]] = HostileSender.Secret });
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), $"{sender.Provider}'s handshake: {text}");
        }
        foreach (var item in HostileBodies.Ids(fixture, body).Take(MaxLinkedItems))
        {
            await _ingress.Admin.CreateLinkedRecordAsync(tenant, integration, item);
        }
        var secret = sender.SigningSecret ?? (sender.SecretByHandshake ? HostileSender.Secret : null);
        return new Target(integration, path, "https://webhooks.example.test" + path, secret, fixture);
    }

    /// <summary>The sender's request for <paramref name="body"/>: its content type and headers, a fresh delivery id, signed with the integration's secret.</summary>
    private Request Signed(HostileSender sender, Target target, string fixture, string what, byte[] body, string? secret = null)
    {
        body = sender.WithFreshDeliveryId(body, Interlocked.Increment(ref _serial));
        var headers = SenderHeaders(sender, fixture);
        if ((secret ?? target.Secret) is { } key)
        {
            foreach (var header in sender.Sign(body, target.CallbackUrl, key, $"msg_{Guid.NewGuid():N}"))
            {
                headers[header.Key] = header.Value;
            }
        }
        return new Request(what, body, [sender.ContentType], [.. headers]);
    }

    /// <summary>The sender's own headers and those recorded with the fixture (later ones win); never its handshake headers.</summary>
    private static Dictionary<string, string> SenderHeaders(HostileSender sender, string fixture)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in sender.Headers(fixture).Concat(sender.RecordedHeaders(fixture)))
        {
            headers[name] = value;
        }
        foreach (var handshake in sender.HandshakeHeaders)
        {
            headers.Remove(handshake);
        }
        return headers;
    }

    /// <summary>The recording (signed) under odd content types and with the sender's headers doubled, bloated or odd.</summary>
    private IEnumerable<Request> OddHeadersAndContentTypes(HostileSender sender, Target target, string fixture, byte[] sample)
    {
        var xml = sender.ContentType.Contains("xml", StringComparison.OrdinalIgnoreCase);
        string[][] contentTypes =
        [
            [],
            ["text/plain"],
            ["application/x-www-form-urlencoded"],
            ["multipart/form-data; boundary=----hostile"],
            ["application/json; charset=utf-16"],
            [xml ? "application/json" : "text/xml; charset=utf-8"],
            ["application/json", "text/xml"],
            ["application/" + new string('x', 300)],
            ["application/jsön; charset=\"\u00ff\""],
        ];
        foreach (var types in contentTypes)
        {
            yield return Signed(sender, target, fixture, $"Content-Type [{string.Join(", ", types.Select(t => t.Length > 40 ? t[..40] + "…" : t))}]", sample)
                with { ContentTypes = types, Expected = [] };
        }

        var own = SenderHeaders(sender, fixture);
        foreach (var name in own.Keys)
        {
            var request = Signed(sender, target, fixture, $"{name} sent twice", sample);
            yield return request with { Headers = [.. request.Headers, new(name, "hostile-" + name)], Expected = [] };
        }
        var bloated = Signed(sender, target, fixture, "a User-Agent of 8 KiB and a header in Latin-1", sample);
        yield return bloated with
        {
            Headers = [.. bloated.Headers.Where(h => h.Key != "User-Agent"), new("User-Agent", new string('u', 8 * 1024)), new("X-Hostile", "caf\u00e9 \u00ff")],
            Expected = [],
        };
        var encoded = Signed(sender, target, fixture, "Content-Encoding gzip on a plain body", sample);
        yield return encoded with { Headers = [.. encoded.Headers, new("Content-Encoding", "gzip")], Expected = [] };
        // Other spellings of the callback path that routing may send to the endpoint (issue 11 bypassed the rate limit so).
        foreach (var path in new[] { target.Path + "/", target.Path.ToUpperInvariant(), target.Path.Replace("/webhooks/", "/webhooks//", StringComparison.Ordinal) })
        {
            yield return Signed(sender, target, fixture, $"sent to {path.Replace(target.Integration.Token, "{token}", StringComparison.Ordinal)}", sample)
                with { Path = path, Expected = [] };
        }
    }

    /// <summary>Requests that must be refused (401) by an integration with a secret: unsigned, signed wrongly, signed twice.</summary>
    private IEnumerable<Request> WronglySigned(HostileSender sender, Target target, string fixture, byte[] sample)
    {
        IReadOnlyList<HttpStatusCode> refused = [HttpStatusCode.Unauthorized];
        Request Refused(string what, byte[] body, Func<Request, IEnumerable<KeyValuePair<string, string>>> headers)
        {
            var signed = Signed(sender, target, fixture, what, body);
            return signed with { Headers = [.. headers(signed)], Expected = refused };
        }
        bool IsSignature(KeyValuePair<string, string> header) => sender.SignatureHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase);

        yield return Refused("no signature", sample, r => r.Headers.Where(h => !IsSignature(h)));
        yield return Signed(sender, target, fixture, "signed with another secret", sample, secret: sender.WrongSecret) with { Expected = refused };
        var bomb = Encoding.ASCII.GetBytes(new string('[', 100_000) + new string(']', 100_000));
        yield return Signed(sender, target, fixture, "a 100,000-deep array signed with another secret", bomb, secret: sender.WrongSecret) with { Expected = refused };
        var signedWhole = Signed(sender, target, fixture, "signed whole, sent cut", sample);
        yield return signedWhole with { Body = signedWhole.Body[..(signedWhole.Body.Length / 2)], Expected = refused };
        yield return Refused("the signature header sent twice, valid then wrong", sample,
            r => r.Headers.Concat(r.Headers.Where(IsSignature).Select(h => new KeyValuePair<string, string>(h.Key, new string('0', h.Value.Length)))));
        yield return Refused("the signature header sent twice, both valid", sample, r => r.Headers.Concat(r.Headers.Where(IsSignature)));
        yield return Refused("an empty signature", sample, r => r.Headers.Select(h => IsSignature(h) ? new(h.Key, "") : h));
        yield return Refused("a signature of 10,000 digits", sample, r => r.Headers.Select(h => IsSignature(h) ? new(h.Key, new string('a', 10_000)) : h));
        if (sender.SignsCallbackUrl)
        {
            var elsewhere = sender.Sign(sample, target.CallbackUrl + "x", target.Secret!, $"msg_{Guid.NewGuid():N}");
            yield return Refused("signed for another callback URL", sample, r => r.Headers.Where(h => !IsSignature(h)).Concat(elsewhere));
        }
    }

    /// <summary>Sends the requests (a few at once, as a busy sender does), checks each answer, then waits for every delivery's outcome.</summary>
    private async Task RunAsync(Run run, Target target, IReadOnlyList<Request> requests)
    {
        var answers = new ConcurrentBag<Answer>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = RequestsAtOnce }, async (request, _) => answers.Add(await SendAsync(target, request)));
        run.Sent += requests.Count;
        foreach (var answer in answers)
        {
            var status = (int)answer.Status;
            var what = $"{answer.Request.What}: answered {status} {Shorten(answer.Text)}";
            var clear = status is 200 or (>= 400 and < 500) or 503;
            run.Check(clear, "an answer other than 200, a 4xx or 503", what);
            run.Check(status != 503 || answer.RetryAfter is not null, "a 503 without Retry-After", what);
            run.Check(!clear || (answer.Request.Expected is null ? status == 200 : answer.Request.Expected.Count == 0 || answer.Request.Expected.Contains(answer.Status)),
                "an unexpected answer", $"{what}; expected {(answer.Request.Expected is null ? "200" : string.Join(" or ", answer.Request.Expected.Select(s => (int)s)))}");
            run.Check(status != 200 || answer.DeliveryId is not null || answer.Handshake || answer.Text.Contains("<Ack>true</Ack>", StringComparison.Ordinal),
                "a 200 that names no delivery", what);
            run.Answered[status] = run.Answered.GetValueOrDefault(status) + 1;
        }
        await WaitForOutcomesAsync(run, target, [.. answers]);
    }

    private async Task<Answer> SendAsync(Target target, Request request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Path ?? target.Path) { Content = new ByteArrayContent(request.Body) };
        foreach (var type in request.ContentTypes)
        {
            message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        HttpResponseMessage response;
        try
        {
            response = await _senders.SendAsync(message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The in-process server hands the client the exception the endpoint did not handle, where Kestrel answers 500.
            return new Answer(request, HttpStatusCode.InternalServerError, $"the ingress threw {e.GetType().Name}: {e.Message}", null, false, DateTimeOffset.UtcNow, null);
        }
        using var _ = response;
        var text = await response.Content.ReadAsStringAsync();
        Guid? deliveryId = null;
        var handshake = false;
        if (response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            using var json = JsonDocument.Parse(text);
            deliveryId = json.RootElement.TryGetProperty("deliveryId", out var id) ? id.GetGuid() : null;
            handshake = deliveryId is null && json.RootElement.TryGetProperty("status", out var status) && status.GetString() == "ok";
        }
        return new Answer(request, response.StatusCode, text, deliveryId, handshake, DateTimeOffset.UtcNow, response.Headers.RetryAfter?.ToString());
    }

    /// <summary>
    /// Polls the integration's delivery log until every delivery answered 200 has an outcome (or 10 s after the last
    /// answer have passed), noting when each was first seen finished; then checks each against its acceptance time.
    /// </summary>
    private async Task WaitForOutcomesAsync(Run run, Target target, IReadOnlyList<Answer> answers)
    {
        var accepted = answers.Where(a => a.Status == HttpStatusCode.OK && !a.Handshake).ToList();
        var refused = answers.Count(a => a.Status == HttpStatusCode.Unauthorized);
        var deadline = (answers.Count == 0 ? DateTimeOffset.UtcNow : answers.Max(a => a.At)) + FinalWithin + Eventually.PollEvery;
        var finishedAt = new Dictionary<Guid, DateTimeOffset>();
        var log = await Eventually.ReadUntilAsync(async () =>
        {
            var log = await LogAsync(target);
            foreach (var delivery in log.Where(d => Final.Contains(Status(d))))
            {
                finishedAt.TryAdd(Id(delivery), DateTimeOffset.UtcNow);
            }
            return log;
        }, log =>
        {
            var deliveries = log.Where(d => Status(d) is not ("handshake" or "rejected")).ToList();
            return deliveries.Count >= accepted.Count && deliveries.All(d => Final.Contains(Status(d)));
        }, deadline - DateTimeOffset.UtcNow);

        var byId = log.ToDictionary(Id);
        var stored = log.Where(d => Status(d) is not ("handshake" or "rejected")).ToList();
        var named = accepted.Where(a => a.DeliveryId is not null).ToDictionary(a => a.DeliveryId!.Value);
        string What(JsonElement delivery) =>
            named.TryGetValue(Id(delivery), out var answer) ? answer.Request.What : $"{target.Fixture} (delivery {Id(delivery)})";

        run.Check(stored.Count == accepted.Count, "a 200 without its delivery in the log",
            $"{target.Fixture}: {accepted.Count} answered 200 as deliveries, {stored.Count} in the delivery log");
        foreach (var answer in named.Values.Where(a => !byId.ContainsKey(a.DeliveryId!.Value)))
        {
            run.Check(false, "a 200 without its delivery in the log", $"{answer.Request.What}: delivery {answer.DeliveryId} is not in the log");
        }
        run.Check(log.Count(d => Status(d) == "rejected") == refused, "a 401 not recorded rejected",
            $"{target.Fixture}: {refused} answered 401, {log.Count(d => Status(d) == "rejected")} rejected in the log");
        foreach (var delivery in stored)
        {
            var status = Status(delivery);
            var detail = $"{What(delivery)}: {delivery}";
            run.Tally(status);
            if (!Final.Contains(status))
            {
                run.Check(false, status == "dead_lettered" ? "dead-lettered" : $"still {status} {FinalWithin.TotalSeconds} s after the last answer", Shorten(detail, 600));
                continue;
            }
            var took = finishedAt[Id(delivery)] - delivery.GetProperty("receivedAt").GetDateTimeOffset();
            run.Check(took <= FinalWithin, $"an outcome later than {FinalWithin.TotalSeconds} s after acceptance", $"{took.TotalSeconds:F1} s: {Shorten(detail, 600)}");
            run.Check(status != "failed" || !string.IsNullOrWhiteSpace(delivery.GetProperty("error").GetString()), "failed without a reason", Shorten(detail, 600));
            run.Check(delivery.GetProperty("attempts").GetInt32() == 1, "more than one attempt (taken for a transient failure)", Shorten(detail, 600));
        }
    }

    private async Task<List<JsonElement>> LogAsync(Target target)
    {
        var log = await _ingress.Admin.ExpectAsync(HttpMethod.Get, $"/integrations/{target.Integration.Id}/deliveries?limit=500", null, HttpStatusCode.OK);
        return [.. log.EnumerateArray()];
    }

    /// <summary>
    /// The worker is ready, has put nothing in the sender's error queue, and still applies the sender's normal delivery
    /// (on a fresh integration, so the hostile ones' ledger keys do not make it a duplicate).
    /// </summary>
    private async Task AssertStillServingAsync(Run run, HostileSender sender, Tenant tenant)
    {
        var health = await _worker.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Tags.Contains(HealthExtensions.ReadyTag));
        run.Check(health.Status == HealthStatus.Healthy, "the worker is not ready", string.Join("; ", health.Entries.Select(e => $"{e.Key}={e.Value.Status} {e.Value.Description}")));

        var (fixture, item) = sender.Normal;
        var body = PayloadFixtures.Read(sender.Provider, fixture);
        var integration = await _ingress.Admin.CreateIntegrationAsync(tenant, sender.Provider.ToWireName(), sender.Settings(_api.BaseUrl), sender.SigningSecret);
        var path = $"/api/v1/webhooks/{integration.Token}";
        if (sender.SecretByHandshake)
        {
            await _ingress.SendWebhookAsync(integration, [], new Dictionary<string, string> { [sender.HandshakeHeaders[0]] = HostileSender.Secret });
        }
        var record = await _ingress.Admin.CreateLinkedRecordAsync(tenant, integration, item);
        var target = new Target(integration, path, "https://webhooks.example.test" + path, sender.SigningSecret ?? (sender.SecretByHandshake ? HostileSender.Secret : null), fixture);
        var answer = await SendAsync(target, Signed(sender, target, fixture, $"the normal {fixture}", body));
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), $"the normal {fixture} after the hostile ones: {answer.Text}");

        var delivery = await Eventually.ReadUntilAsync(async () => (await LogAsync(target)).Single(d => Status(d) is not ("handshake" or "rejected")),
            delivery => Final.Contains(Status(delivery)), FinalWithin);
        var applied = delivery.GetProperty("outcome").GetProperty("applied").GetInt32();
        run.Check(Status(delivery) == "processed" && applied > 0, "the worker no longer applies a normal delivery", $"{fixture}: {delivery}");
        var shown = await _ingress.Admin.GetRecordAsync(record);
        run.Check(shown.GetProperty("history").GetArrayLength() > 0, "the normal delivery changed nothing on its record", shown.ToString());
        run.Check(await _vhost.CountMessagesAsync(QueueNames.ErrorQueueFor(sender.Provider)) == 0, "messages in the error queue",
            $"{QueueNames.ErrorQueueFor(sender.Provider)} holds messages");
        run.Check(_api.Requests.All(r => r.Path.Length > 0 && !r.Path.Split('/').Any(segment => segment is "" or "." or "..")),
            "a fetch outside the API's resources", string.Join(", ", _api.Requests.Select(r => r.Path).Distinct().Take(20)));
        run.Check(_api.Requests.All(r => r.Authorization == $"Bearer {HostileSender.ApiToken}"), "a fetch without the operator's token", "");
    }

    private static string Status(JsonElement delivery) => delivery.GetProperty("status").GetString()!;

    private static Guid Id(JsonElement delivery) => delivery.GetProperty("id").GetGuid();

    private static string Shorten(string text, int length = 200) => text.Length <= length ? text : text[..length] + "…";

    /// <summary>The same seed on every run and machine (string hash codes are randomized per process).</summary>
    /// <summary>What one test saw: problems by kind (the first few of each are reported), answers and outcomes counted.</summary>
    private sealed class Run(Provider provider)
    {
        private readonly ConcurrentQueue<(string Kind, string Detail)> _problems = new();
        private readonly ConcurrentDictionary<string, int> _outcomes = new();

        public int Sent { get; set; }

        public Dictionary<int, int> Answered { get; } = [];

        public void Check(bool holds, string kind, string detail)
        {
            if (!holds)
            {
                _problems.Enqueue((kind, detail));
            }
        }

        public void Tally(string status) => _outcomes.AddOrUpdate(status, 1, (_, n) => n + 1);

        public void AssertNoProblems()
        {
            var summary = $"{provider}: {Sent} requests, answers {string.Join(", ", Answered.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}"))}; "
                + $"outcomes {string.Join(", ", _outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}×{o.Value}"))}";
            TestContext.Out.WriteLine(summary);
            Assert.That(_problems, Is.Empty, $"{summary}\n{_problems.Count} problems; the first three of each kind:\n"
                + string.Join("\n", _problems.GroupBy(p => p.Kind).SelectMany(g => g.Take(3).Select(p => $"[{p.Kind}] {p.Detail}"))));
        }
    }
}
