using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// An integration's signing secrets through the admin API: listed by fingerprint and creation time (never the value),
/// removed one at a time, replaced by PATCH <c>signingSecret</c>; Asana's come from handshakes.
/// </summary>
public sealed class IntegrationSecretsApiTests : IngressFixture
{
    private const string FirstWebhookSecret = "first-asana-webhook-secret-7f3a";
    private const string SecondWebhookSecret = "second-asana-webhook-secret-91c2";


    protected override bool OnFakeClock => true;

    [Test]
    public async Task Get_lists_each_secret_by_fingerprint_and_creation_time_and_never_its_value()
    {
        var asana = await AsanaWithTwoWebhooksAsync();

        using var response = await Admin.GetAsync($"/integrations/{asana.IntegrationId}");
        var text = await response.Content.ReadAsStringAsync();
        var integration = JsonDocument.Parse(text).RootElement;

        var listed = integration.GetProperty("signingSecrets").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(listed.Select(s => s.GetProperty("fingerprint").GetString()),
                Is.EqualTo(new[] { AsanaSender.Fingerprint(FirstWebhookSecret), AsanaSender.Fingerprint(SecondWebhookSecret) }));
            Assert.That(listed.Select(s => s.GetProperty("createdAt").GetDateTimeOffset()), Is.Ordered.Ascending);
            Assert.That(listed[1].GetProperty("createdAt").GetDateTimeOffset() - listed[0].GetProperty("createdAt").GetDateTimeOffset(),
                Is.EqualTo(TimeSpan.FromMinutes(2)).Within(TimeSpan.FromSeconds(1)), "each secret's own creation time");
            Assert.That(listed.Select(s => s.EnumerateObject().Select(p => p.Name)), Has.All.EquivalentTo(new[] { "fingerprint", "createdAt", "expiresAt" }));
            Assert.That(integration.GetProperty("hasSigningSecret").GetBoolean(), Is.True);
            Assert.That(text, Does.Not.Contain(FirstWebhookSecret).And.Not.Contain(SecondWebhookSecret).And.Not.Contain("dp1:"));
        });
    }

    [Test]
    public async Task Secret_given_at_creation_is_listed_in_the_answer()
    {
        var seeded = await Admin.SeedAsync();
        var created = await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId, "github", signingSecret: "github-secret-at-creation");

        Assert.That(created.GetProperty("signingSecrets").EnumerateArray().Select(s => s.GetProperty("fingerprint").GetString()),
            Is.EqualTo(new[] { AsanaSender.Fingerprint("github-secret-at-creation") }));
    }

    [Test]
    public async Task Deleting_one_secret_stops_its_signatures_on_every_replica_within_the_directory_refresh()
    {
        var asana = await AsanaWithTwoWebhooksAsync();
        await using var replica = await IngressFixture.StartAsync();
        using var replicaClient = replica.CreateClient();
        Assert.That(await AsanaSender.PostSignedAsync(replicaClient, asana.WebhookPath, FirstWebhookSecret), Is.EqualTo(HttpStatusCode.OK));

        using (var deleted = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{asana.IntegrationId}/secrets/{AsanaSender.Fingerprint(FirstWebhookSecret)}"))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        Assert.That(await AsanaSender.PostSignedAsync(Client, asana.WebhookPath, FirstWebhookSecret), Is.EqualTo(HttpStatusCode.Unauthorized),
            "the replica that served the DELETE refreshed before answering");
        await Eventually.GetAsync("another replica to refuse the removed secret, within two refreshes",
            () => AsanaSender.PostSignedAsync(replicaClient, asana.WebhookPath, FirstWebhookSecret), status => status == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(2));
        Assert.Multiple(async () =>
        {
            Assert.That(await AsanaSender.PostSignedAsync(replicaClient, asana.WebhookPath, SecondWebhookSecret), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await AsanaSender.PostSignedAsync(Client, asana.WebhookPath, SecondWebhookSecret), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.EqualTo(new[] { AsanaSender.Fingerprint(SecondWebhookSecret) }));
        });
    }

    [Test]
    public async Task Deleting_an_unknown_fingerprint_or_integration_is_404()
    {
        var asana = await AsanaWithTwoWebhooksAsync();
        var fingerprint = AsanaSender.Fingerprint(FirstWebhookSecret);

        using var unknownFingerprint = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{asana.IntegrationId}/secrets/{AsanaSender.Fingerprint("never-stored")}");
        using var unknownIntegration = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{Guid.NewGuid()}/secrets/{fingerprint}");
        using var otherIntegration = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{(await Admin.SeedAsync(provider: "asana")).IntegrationId}/secrets/{fingerprint}");

        Assert.Multiple(() =>
        {
            Assert.That(unknownFingerprint.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unknownIntegration.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(otherIntegration.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a fingerprint names a secret of its own integration only");
            Assert.That(unknownFingerprint.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        });
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task Patching_signingSecret_replaces_every_secret_with_that_one()
    {
        var asana = await AsanaWithTwoWebhooksAsync();

        var patched = await Admin.PatchIntegrationAsync(asana.IntegrationId, new { signingSecret = "operator-set-secret" });

        Assert.Multiple(async () =>
        {
            Assert.That(patched.GetProperty("signingSecrets").EnumerateArray().Select(s => s.GetProperty("fingerprint").GetString()),
                Is.EqualTo(new[] { AsanaSender.Fingerprint("operator-set-secret") }));
            Assert.That(await AsanaSender.PostSignedAsync(Client, asana.WebhookPath, "operator-set-secret"), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await AsanaSender.PostSignedAsync(Client, asana.WebhookPath, FirstWebhookSecret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await AsanaSender.PostSignedAsync(Client, asana.WebhookPath, SecondWebhookSecret), Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Patching_signingSecret_to_null_removes_every_secret_and_the_next_handshake_is_a_first_one()
    {
        var asana = await AsanaWithTwoWebhooksAsync();
        Clock.Advance(TimeSpan.FromMinutes(20));

        var patched = await Admin.PatchIntegrationAsync(asana.IntegrationId, new { signingSecret = (string?)null });
        Assert.That(patched.GetProperty("signingSecrets").GetArrayLength(), Is.Zero);
        Assert.That(patched.GetProperty("hasSigningSecret").GetBoolean(), Is.False);

        using (var handshake = await AsanaSender.HandshakeAsync(Client, asana.WebhookPath, AsanaSender.RecordedSecret))
        {
            Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an integration without secrets takes the next webhook's");
        }
        Assert.That(await AsanaSender.PostRecordedDeliveryAsync(Client, asana.WebhookPath), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Handshake_window_is_only_for_Asana_integrations()
    {
        var jira = await Admin.SeedAsync(provider: "jira");

        using var notAsana = await Admin.PostAsync($"/integrations/{jira.IntegrationId}/handshake-window", new { });
        using var unknown = await Admin.PostAsync($"/integrations/{Guid.NewGuid()}/handshake-window", new { });

        Assert.That(notAsana.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notAsana.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await notAsana.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), Does.Contain("Only Asana"));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task New_endpoints_need_the_admin_key()
    {
        var asana = await Admin.SeedAsync(provider: "asana");

        using var window = await Client.PostAsync($"{AdminClient.Prefix}/integrations/{asana.IntegrationId}/handshake-window", AdminClient.Json("{}"));
        using var delete = await Client.DeleteAsync($"{AdminClient.Prefix}/integrations/{asana.IntegrationId}/secrets/{AsanaSender.Fingerprint("x")}");

        Assert.That(window.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    /// <summary>An Asana integration whose two webhooks were created two minutes apart, the second inside a handshake window.</summary>
    private async Task<Seeded> AsanaWithTwoWebhooksAsync()
    {
        var asana = await Admin.SeedAsync(provider: "asana");
        using (var first = await AsanaSender.HandshakeAsync(Client, asana.WebhookPath, FirstWebhookSecret))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Clock.Advance(TimeSpan.FromMinutes(1));
        await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{asana.IntegrationId}/handshake-window", new { }), HttpStatusCode.OK);
        Clock.Advance(TimeSpan.FromMinutes(1));
        using (var second = await AsanaSender.HandshakeAsync(Client, asana.WebhookPath, SecondWebhookSecret))
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        return asana;
    }

    private async Task<string[]> FingerprintsAsync(Guid integrationId)
    {
        var integration = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{integrationId}"), HttpStatusCode.OK);
        return integration.GetProperty("signingSecrets").EnumerateArray().Select(s => s.GetProperty("fingerprint").GetString()!).ToArray();
    }
}
