using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// Asana hands over a webhook's signing secret in its handshake (an <c>X-Hook-Secret</c> header on a POST to the
/// callback URL). Anyone who knows the URL can send one, so a secret is taken only while the integration accepts
/// handshakes: until its first secret is stored, or within 15 minutes of an operator opening a handshake window.
/// </summary>
public sealed class AsanaHandshakeTests : IngressFixture
{
    // The real handshake's secret; the real delivery is signed with it (fixtures SOURCES.md).
    private static readonly string AsanaSecret = AsanaSender.RecordedSecret;
    // The handshake secret of the example on Asana's "Establish a webhook" page: a second webhook.
    private const string SecondWebhookSecret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
    // The value the attack used (the Webhooks API's documented example curl).
    private const string IntruderSecret = "confirmation-secret-123";


    protected override bool OnFakeClock => true;

    [Test]
    public async Task Second_handshake_after_the_first_secret_is_409_and_changes_nothing()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        using (var first = await HandshakeAsync(asana.WebhookPath, AsanaSecret))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo(AsanaSecret));
        }

        using (var intruder = await HandshakeAsync(asana.WebhookPath, IntruderSecret))
        {
            Assert.That(intruder.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(intruder.Headers.Contains("X-Hook-Secret"), Is.False, "no echo: the intruder's webhook is never confirmed");
            Assert.That(intruder.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            var reason = await intruder.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(reason.GetProperty("error").GetString(), Is.EqualTo("handshake_window_closed"));
            Assert.That(reason.GetProperty("detail").GetString(), Does.Contain("handshake window"));
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await PostRealDeliveryAsync(asana.WebhookPath), Is.EqualTo(HttpStatusCode.OK), "Asana's own signature still verifies");
            Assert.That(await PostSignedAsync(asana.WebhookPath, IntruderSecret), Is.EqualTo(HttpStatusCode.Unauthorized), "the intruder's does not");
            Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(new[] { Fingerprint(AsanaSecret) }));
        });
        var refused = (await App.DeliveriesOfAsync(asana.IntegrationId)).Single(d => d.Status == DeliveryStatus.Rejected && d.SignatureVerified == false && d.Body.Length == 0);
        Assert.That(refused.LastError, Does.Contain("handshake window"), "the refused handshake is in the delivery log with its reason");
    }

    [Test]
    public async Task Window_opened_through_the_admin_API_accepts_a_second_webhook_and_both_verify()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        using (var first = await HandshakeAsync(asana.WebhookPath, AsanaSecret))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var window = await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{asana.IntegrationId}/handshake-window", new { }), HttpStatusCode.OK);
        Assert.That(window.GetProperty("openUntil").GetDateTimeOffset(), Is.EqualTo(Clock.GetUtcNow().AddMinutes(15)).Within(TimeSpan.FromSeconds(1)));
        using (var second = await HandshakeAsync(asana.WebhookPath, SecondWebhookSecret))
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo(SecondWebhookSecret));
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await PostRealDeliveryAsync(asana.WebhookPath), Is.EqualTo(HttpStatusCode.OK), "the first webhook's signature");
            Assert.That(await PostSignedAsync(asana.WebhookPath, SecondWebhookSecret), Is.EqualTo(HttpStatusCode.OK), "the second webhook's signature");
            Assert.That(await PostSignedAsync(asana.WebhookPath, IntruderSecret), Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Window_closes_15_minutes_after_it_was_opened()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        using (await HandshakeAsync(asana.WebhookPath, AsanaSecret))
        {
        }
        await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{asana.IntegrationId}/handshake-window", new { }), HttpStatusCode.OK);

        Clock.Advance(TimeSpan.FromMinutes(14));
        using (var inTime = await HandshakeAsync(asana.WebhookPath, SecondWebhookSecret))
        {
            Assert.That(inTime.StatusCode, Is.EqualTo(HttpStatusCode.OK), "14 minutes after opening");
        }
        Clock.Advance(TimeSpan.FromMinutes(1));
        using (var late = await HandshakeAsync(asana.WebhookPath, IntruderSecret))
        {
            Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "15 minutes after opening");
            Assert.That(late.Headers.Contains("X-Hook-Secret"), Is.False);
        }
        Assert.That(await PostSignedAsync(asana.WebhookPath, IntruderSecret), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(new[] { Fingerprint(AsanaSecret), Fingerprint(SecondWebhookSecret) }));
    }

    [Test]
    public async Task Integration_keeps_at_most_ten_secrets_and_each_verifies()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{asana.IntegrationId}/handshake-window", new { }), HttpStatusCode.OK);
        var secrets = Enumerable.Range(1, 10).Select(i => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))).ToList();
        foreach (var secret in secrets)
        {
            using var answered = await HandshakeAsync(asana.WebhookPath, secret);
            Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Clock.Advance(TimeSpan.FromSeconds(1));
        }

        using (var eleventh = await HandshakeAsync(asana.WebhookPath, "eleventh-webhook-secret"))
        {
            Assert.That(eleventh.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(eleventh.Headers.Contains("X-Hook-Secret"), Is.False);
            var reason = await eleventh.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(reason.GetProperty("error").GetString(), Is.EqualTo("too_many_secrets"));
            Assert.That(reason.GetProperty("detail").GetString(), Does.Contain("10"));
        }

        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(secrets.Select(Fingerprint)), "listed by creation time");
        foreach (var secret in secrets)
        {
            Assert.That(await PostSignedAsync(asana.WebhookPath, secret), Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(await PostSignedAsync(asana.WebhookPath, "eleventh-webhook-secret"), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Handshakes_racing_for_a_new_integration_store_exactly_one_secret()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        var secrets = Enumerable.Range(1, 8).Select(i => $"racing-secret-{i}").ToList();

        var answers = await Task.WhenAll(secrets.Select(async secret =>
        {
            using var response = await HandshakeAsync(asana.WebhookPath, secret);
            return (secret, response.StatusCode);
        }));

        var winner = answers.Where(a => a.StatusCode == HttpStatusCode.OK).Select(a => a.secret).ToList();
        Assert.That(winner, Has.Count.EqualTo(1), string.Join(", ", answers.Select(a => a.StatusCode)));
        Assert.That(answers.Count(a => a.StatusCode == HttpStatusCode.Conflict), Is.EqualTo(secrets.Count - 1));
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(new[] { Fingerprint(winner[0]) }));
    }

    [Test]
    public async Task Same_secret_handshaken_again_is_echoed_and_stored_once()
    {
        // Asana sends one handshake per webhook; a repeat (our answer lost on the way) must not fail the creation.
        var asana = await Admin.SeedAsync(provider: "asana");
        using (await HandshakeAsync(asana.WebhookPath, AsanaSecret))
        {
        }

        using var again = await HandshakeAsync(asana.WebhookPath, AsanaSecret);

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(again.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo(AsanaSecret));
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(new[] { Fingerprint(AsanaSecret) }));
    }

    [TestCase("too-long", TestName = "Handshake_secret_over_1024_characters_is_400_and_not_stored")]
    [TestCase("twice", TestName = "Handshake_secret_header_sent_twice_is_400_and_not_stored")]
    [TestCase("control", TestName = "Handshake_secret_with_a_control_character_is_400_and_not_stored")]
    public async Task Malformed_handshake_secret_is_400_and_not_stored(string shape)
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        using var request = new HttpRequestMessage(HttpMethod.Post, asana.WebhookPath) { Content = AsanaSender.HandshakeBody() };
        switch (shape)
        {
            case "too-long":
                request.Headers.TryAddWithoutValidation("X-Hook-Secret", new string('a', 1025));
                break;
            case "twice":
                request.Headers.TryAddWithoutValidation("X-Hook-Secret", [AsanaSecret, IntruderSecret]);
                break;
            default:
                request.Headers.TryAddWithoutValidation("X-Hook-Secret", "secret\twith-a-tab");
                break;
        }

        using var response = await Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Contains("X-Hook-Secret"), Is.False);
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Is.EqualTo("invalid_handshake"));
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.Empty);
        using (var real = await HandshakeAsync(asana.WebhookPath, AsanaSecret))
        {
            Assert.That(real.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a malformed handshake does not count as the first secret");
        }
    }

    private Task<HttpResponseMessage> HandshakeAsync(string path, string secret) => AsanaSender.HandshakeAsync(Client, path, secret);

    private Task<HttpStatusCode> PostRealDeliveryAsync(string path) => AsanaSender.PostRecordedDeliveryAsync(Client, path);

    private Task<HttpStatusCode> PostSignedAsync(string path, string secret) => AsanaSender.PostSignedAsync(Client, path, secret);

    private async Task<string[]> FingerprintsAsync(Guid integrationId)
    {
        var integration = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integrationId}"), HttpStatusCode.OK);
        return integration.GetProperty("signingSecrets").EnumerateArray().Select(s => s.GetProperty("fingerprint").GetString()!).ToArray();
    }

    private static string Fingerprint(string secret) => AsanaSender.Fingerprint(secret);
}
