using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>
/// A <c>standard</c> integration made through the admin API, receiving requests signed as a Standard Webhooks sender
/// signs them, against the ingress's clock (a <see cref="FakeTimeProvider"/> the tests move).
/// </summary>
public sealed class StandardWebhooksTests : IngressFixture
{
    private static readonly byte[] ContactCreated = PayloadFixtures.Read(Provider.Standard, "contact.created.json");


    protected override bool OnFakeClock => true;

    [Test]
    public async Task A_delivery_signed_as_the_sender_signs_it_is_stored_under_its_webhook_id()
    {
        var (standard, secret) = await StandardIntegrationAsync();
        var id = NewMessageId();

        var (status, text) = await PostSignedAsync(standard, secret, id, Clock.GetUtcNow());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        var stored = (await App.DeliveriesOfAsync(standard.IntegrationId)).Single();
        using var headers = JsonDocument.Parse(stored.Headers);
        Assert.Multiple(() =>
        {
            Assert.That(stored.SourceDeliveryId, Is.EqualTo(id), "a retry of the message is then a duplicate");
            Assert.That(stored.SignatureVerified, Is.True);
            Assert.That(stored.Body, Is.EqualTo(ContactCreated), "stored byte for byte");
            Assert.That(headers.RootElement.GetProperty("webhook-id").GetString(), Is.EqualTo(id));
            Assert.That(headers.RootElement.GetProperty("webhook-timestamp").GetString(), Is.EqualTo(Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(headers.RootElement.TryGetProperty("webhook-signature", out _), Is.False, "signatures are never kept");
        });
    }

    [TestCase(-6, TestName = "signed six minutes ago")]
    [TestCase(6, TestName = "signed six minutes ahead of the receiver's clock")]
    public async Task A_timestamp_outside_five_minutes_is_401_with_the_reason_and_recorded_rejected(int minutes)
    {
        var (standard, secret) = await StandardIntegrationAsync();

        var (status, text) = await PostSignedAsync(standard, secret, NewMessageId(), Clock.GetUtcNow().AddMinutes(minutes));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), text);
        using var answer = JsonDocument.Parse(text);
        var stored = (await App.DeliveriesOfAsync(standard.IntegrationId)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(answer.RootElement.GetProperty("error").GetString(), Is.EqualTo("timestamp_outside_tolerance"));
            Assert.That(answer.RootElement.GetProperty("detail").GetString(), Does.Contain("5 minutes"));
            Assert.That(stored.Status, Is.EqualTo(DeliveryStatus.Rejected));
            Assert.That(stored.LastError, Does.Contain("5 minutes"));
            Assert.That(stored.PublishedAt, Is.Null, "never queued");
        });
    }

    [Test]
    public async Task Within_five_minutes_either_way_is_accepted()
    {
        var (standard, secret) = await StandardIntegrationAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((await PostSignedAsync(standard, secret, NewMessageId(), Clock.GetUtcNow().AddMinutes(-5))).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await PostSignedAsync(standard, secret, NewMessageId(), Clock.GetUtcNow().AddMinutes(5))).Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_wrong_or_missing_signature_is_the_usual_401()
    {
        var (standard, secret) = await StandardIntegrationAsync();
        var now = Clock.GetUtcNow();
        var headers = StandardSender.Headers(StandardSender.NewSecret(), NewMessageId(), now, ContactCreated);

        var (wrong, wrongText) = await StandardSender.PostAsync(Client, standard.WebhookPath, ContactCreated, headers);
        var (unsigned, _) = await StandardSender.PostAsync(Client, standard.WebhookPath, ContactCreated, headers[..2]);
        var (signedTwice, _) = await StandardSender.PostAsync(Client, standard.WebhookPath, ContactCreated,
            [.. StandardSender.Headers(secret, "msg_twice", now, ContactCreated), ("webhook-signature", StandardSender.Sign(secret, "msg_twice", now.ToUnixTimeSeconds(), ContactCreated))]);

        Assert.Multiple(async () =>
        {
            Assert.That(wrong, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(JsonDocument.Parse(wrongText).RootElement.GetProperty("error").GetString(), Is.EqualTo("invalid_signature"));
            Assert.That(unsigned, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(signedTwice, Is.EqualTo(HttpStatusCode.Unauthorized), "a valid signature header sent twice verifies by neither");
            Assert.That((await App.DeliveriesOfAsync(standard.IntegrationId)).Select(d => d.Status), Has.All.EqualTo(DeliveryStatus.Rejected));
        });
    }

    [Test]
    public async Task After_a_rotation_the_previous_secret_verifies_for_24_hours_and_not_after()
    {
        var (standard, previous) = await StandardIntegrationAsync();
        var rotatedAt = Clock.GetUtcNow();
        var next = StandardSender.NewSecret();

        var patched = await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = next });

        var listed = patched.GetProperty("signingSecrets").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(listed.Select(s => s.GetProperty("fingerprint").GetString()), Is.EqualTo(new[] { Fingerprint(previous), Fingerprint(next) }));
            Assert.That(listed[0].GetProperty("expiresAt").GetDateTimeOffset(), Is.EqualTo(rotatedAt.AddHours(24)).Within(TimeSpan.FromSeconds(1)));
            Assert.That(listed[1].GetProperty("expiresAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });

        Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That((await PostSignedAsync(standard, previous, NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.OK),
                "the previous secret, a second before its 24 hours end");
            Assert.That((await PostSignedAsync(standard, next, NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.OK));
        });

        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That((await PostSignedAsync(standard, previous, NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.Unauthorized),
                "24 hours after the rotation");
            Assert.That((await PostSignedAsync(standard, next, NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await FingerprintsAsync(standard.IntegrationId), Is.EqualTo(new[] { Fingerprint(next) }), "an expired secret is no longer listed");
        });
    }

    [Test]
    public async Task Once_every_secret_has_expired_the_integration_refuses_instead_of_accepting_unsigned_requests()
    {
        // The rotated-to secret removed by fingerprint leaves only its predecessor, which expires a day later.
        var (standard, previous) = await StandardIntegrationAsync();
        var next = StandardSender.NewSecret();
        await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = next });
        using (var deleted = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{standard.IntegrationId}/secrets/{Fingerprint(next)}"))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        Clock.Advance(TimeSpan.FromHours(24));
        var (unsigned, _) = await StandardSender.PostAsync(Client, standard.WebhookPath, ContactCreated);
        var (signedWithExpired, _) = await PostSignedAsync(standard, previous, NewMessageId(), Clock.GetUtcNow());

        Assert.Multiple(() =>
        {
            Assert.That(unsigned, Is.EqualTo(HttpStatusCode.Unauthorized), "an integration that had secrets never falls back to accepting unsigned requests");
            Assert.That(signedWithExpired, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Another_provider_still_replaces_its_secret_at_once()
    {
        var github = await Admin.SeedAsync(provider: "github");
        await Admin.PatchIntegrationAsync(github.IntegrationId, new { signingSecret = "github-first" });

        var patched = await Admin.PatchIntegrationAsync(github.IntegrationId, new { signingSecret = "github-second" });

        Assert.That(patched.GetProperty("signingSecrets").EnumerateArray().Select(s => (s.GetProperty("fingerprint").GetString(), s.GetProperty("expiresAt").ValueKind)),
            Is.EqualTo(new[] { (Fingerprint("github-second"), JsonValueKind.Null) }));
    }

    [Test]
    public async Task Setting_the_secret_in_force_again_keeps_it_once_with_no_end()
    {
        var (standard, secret) = await StandardIntegrationAsync();

        var patched = await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = secret });

        Assert.That(patched.GetProperty("signingSecrets").EnumerateArray().Select(s => (s.GetProperty("fingerprint").GetString(), s.GetProperty("expiresAt").ValueKind)),
            Is.EqualTo(new[] { (Fingerprint(secret), JsonValueKind.Null) }));
    }

    [Test]
    public async Task Rotated_again_and_again_an_integration_keeps_the_ten_newest_secrets()
    {
        var (standard, first) = await StandardIntegrationAsync();
        var rotations = Enumerable.Range(0, 10).Select(_ => StandardSender.NewSecret()).ToList();
        foreach (var secret in rotations)
        {
            Clock.Advance(TimeSpan.FromMinutes(1));
            await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = secret });
        }

        Assert.That(await FingerprintsAsync(standard.IntegrationId), Is.EqualTo(rotations.Select(Fingerprint)), "the first secret went to make room");
        Assert.Multiple(async () =>
        {
            Assert.That((await PostSignedAsync(standard, first, NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await PostSignedAsync(standard, rotations[0], NewMessageId(), Clock.GetUtcNow())).Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Removing_the_secret_removes_every_one_at_once()
    {
        var (standard, _) = await StandardIntegrationAsync();
        await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = StandardSender.NewSecret() });

        var patched = await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = (string?)null });

        Assert.That(patched.GetProperty("signingSecrets").GetArrayLength(), Is.Zero, "an operator removing the secrets means it: no grace");
    }

    [TestCase("not-a-standard-secret", TestName = "no whsec_ prefix")]
    [TestCase("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", TestName = "the base64 alone")]
    [TestCase("whsec_not base64!", TestName = "not base64")]
    [TestCase("whsec_c2hvcnQ=", TestName = "5 bytes")]
    public async Task A_standard_signing_secret_that_is_not_whsec_base64_is_400_at_create_and_at_patch(string secret)
    {
        var seeded = await Admin.SeedAsync(provider: "standard");

        var created = await AdminClient.ExpectAsync(await Admin.PostAsync("/integrations",
            new { productId = seeded.ProductId, provider = "standard", version = 1, name = "Sender", runAsUserId = seeded.UserId, signingSecret = secret }), HttpStatusCode.BadRequest);
        var patched = await AdminClient.ExpectAsync(await Admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { signingSecret = secret, name = "Renamed" }), HttpStatusCode.BadRequest);

        Assert.Multiple(async () =>
        {
            Assert.That(created.GetProperty("errors").TryGetProperty("signingSecret", out _), Is.True, created.GetRawText());
            Assert.That(patched.GetProperty("errors").GetProperty("signingSecret")[0].GetString(), Does.Contain("whsec_"));
            Assert.That(created.GetRawText() + patched.GetRawText(), Does.Not.Contain(secret), "the refused value is not echoed");
            var unchanged = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{seeded.IntegrationId}"), HttpStatusCode.OK);
            Assert.That(unchanged.GetProperty("name").GetString(), Is.Not.EqualTo("Renamed"), "nothing of a refused PATCH is kept");
            Assert.That(unchanged.GetProperty("signingSecrets").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task Another_providers_secret_need_not_be_a_standard_one()
    {
        var seeded = await Admin.SeedAsync(provider: "github");
        await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { signingSecret = "not-a-standard-secret" });
    }

    private async Task<(Seeded Integration, string Secret)> StandardIntegrationAsync()
    {
        var seeded = await Admin.SeedAsync(provider: "standard");
        var secret = StandardSender.NewSecret();
        await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { signingSecret = secret });
        return (seeded, secret);
    }

    private Task<(HttpStatusCode Status, string Text)> PostSignedAsync(Seeded integration, string secret, string id, DateTimeOffset signedAt) =>
        StandardSender.PostAsync(Client, integration.WebhookPath, ContactCreated, StandardSender.Headers(secret, id, signedAt, ContactCreated));

    private async Task<string?[]> FingerprintsAsync(Guid integrationId)
    {
        var integration = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integrationId}"), HttpStatusCode.OK);
        return [.. integration.GetProperty("signingSecrets").EnumerateArray().Select(s => s.GetProperty("fingerprint").GetString())];
    }

    private static string NewMessageId() => $"msg_{Guid.NewGuid():N}";

    private static string Fingerprint(string secret) => IntegrationSigningSecret.Fingerprint(secret);
}
