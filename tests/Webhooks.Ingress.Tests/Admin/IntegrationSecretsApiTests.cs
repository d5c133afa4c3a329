using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// An integration's signing secrets through the admin API: listed by fingerprint and creation time (never the value),
/// added beside those in force and removed one at a time (a rotation without refused deliveries), replaced by PATCH
/// <c>signingSecret</c>; Asana's come from handshakes.
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
    public async Task A_secret_added_beside_the_old_one_lets_both_verify_until_the_old_one_is_removed()
    {
        // Rotating a GitHub webhook's secret without refusing a delivery: add the new one here, switch GitHub, remove the old.
        var github = await Admin.SeedAsync(provider: "github", signingSecret: "github-secret-before");
        await using var replica = await IngressFixture.StartAsync();
        using var replicaClient = replica.CreateClient();

        using var added = await Admin.PostAsync($"/integrations/{github.IntegrationId}/secrets", new { secret = "github-secret-after" });
        var text = await added.Content.ReadAsStringAsync();
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("fingerprint").GetString(), Is.EqualTo(AsanaSender.Fingerprint("github-secret-after")));
            Assert.That(answer.GetProperty("expiresAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(text, Does.Not.Contain("github-secret-after"));
            Assert.That(added.Headers.Location?.ToString(), Is.EqualTo($"{AdminClient.Prefix}/integrations/{github.IntegrationId}"));
        });
        Assert.Multiple(async () =>
        {
            Assert.That(await GitHubSender.PostSignedAsync(Client, github.WebhookPath, "github-secret-before"), Is.EqualTo(HttpStatusCode.OK), "the sender has not switched yet");
            Assert.That(await GitHubSender.PostSignedAsync(Client, github.WebhookPath, "github-secret-after"), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await FingerprintsAsync(github.IntegrationId),
                Is.EqualTo(new[] { AsanaSender.Fingerprint("github-secret-before"), AsanaSender.Fingerprint("github-secret-after") }));
        });
        await Eventually.GetAsync("another replica to take the added secret, within two refreshes",
            () => GitHubSender.PostSignedAsync(replicaClient, github.WebhookPath, "github-secret-after"), status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(2));

        using (var deleted = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{github.IntegrationId}/secrets/{AsanaSender.Fingerprint("github-secret-before")}"))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        Assert.Multiple(async () =>
        {
            Assert.That(await GitHubSender.PostSignedAsync(Client, github.WebhookPath, "github-secret-before"), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await GitHubSender.PostSignedAsync(Client, github.WebhookPath, "github-secret-after"), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Adding_a_secret_without_one_or_to_an_unknown_integration_is_refused_and_changes_nothing()
    {
        var github = await Admin.SeedAsync(provider: "github", signingSecret: "github-secret-kept");
        var standard = await Admin.SeedAsync(provider: "standard", signingSecret: StandardSender.NewSecret());
        var path = $"/integrations/{github.IntegrationId}/secrets";

        using var missing = await Admin.PostJsonAsync(path, "{}");
        using var empty = await Admin.PostJsonAsync(path, """{"secret":""}""");
        using var notString = await Admin.PostJsonAsync(path, """{"secret":12345}""");
        using var notJson = await Admin.PostJsonAsync(path, "secret=abc");
        using var nul = await Admin.PostJsonAsync(path, """{"secret":"abc\u0000def"}""");
        using var unknown = await Admin.PostAsync($"/integrations/{Guid.NewGuid()}/secrets", new { secret = "for-nobody" });
        using var notWhsec = await Admin.PostAsync($"/integrations/{standard.IntegrationId}/secrets", new { secret = "not-a-standard-secret-0001" });

        Assert.Multiple(async () =>
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(notString.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(nul.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(notWhsec.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await notWhsec.Content.ReadAsStringAsync(), Does.Not.Contain("not-a-standard-secret-0001"));
            Assert.That(await FingerprintsAsync(github.IntegrationId), Is.EqualTo(new[] { AsanaSender.Fingerprint("github-secret-kept") }));
            Assert.That(await FingerprintsAsync(standard.IntegrationId), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public async Task Adding_the_secret_in_force_again_keeps_it_once_and_ends_its_rotation_grace()
    {
        var previous = StandardSender.NewSecret();
        var standard = await Admin.SeedAsync(provider: "standard", signingSecret: previous);
        await Admin.PatchIntegrationAsync(standard.IntegrationId, new { signingSecret = StandardSender.NewSecret() });

        using var again = await Admin.PostAsync($"/integrations/{standard.IntegrationId}/secrets", new { secret = previous });

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "already in force: nothing new stored");
        Assert.That((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("expiresAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var integration = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{standard.IntegrationId}"), HttpStatusCode.OK);
        var listed = integration.GetProperty("signingSecrets").EnumerateArray().ToList();
        Assert.That(listed, Has.Count.EqualTo(2));
        Assert.That(listed.Single(s => s.GetProperty("fingerprint").GetString() == AsanaSender.Fingerprint(previous)).GetProperty("expiresAt").ValueKind,
            Is.EqualTo(JsonValueKind.Null), "it no longer expires 24 hours after the rotation");
    }

    [Test]
    public async Task An_eleventh_secret_is_409_until_one_is_removed()
    {
        var jira = await Admin.SeedAsync(provider: "jira", signingSecret: "jira-secret-0");
        for (var i = 1; i < 10; i++)
        {
            await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{jira.IntegrationId}/secrets", new { secret = $"jira-secret-{i}" }), HttpStatusCode.Created);
        }

        using var eleventh = await Admin.PostAsync($"/integrations/{jira.IntegrationId}/secrets", new { secret = "jira-secret-10" });

        Assert.That(eleventh.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await eleventh.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), Does.Contain("10 signing secrets"));
        Assert.That(await FingerprintsAsync(jira.IntegrationId), Has.Length.EqualTo(10));
        using (var deleted = await Admin.Http.DeleteAsync($"{AdminClient.Prefix}/integrations/{jira.IntegrationId}/secrets/{AsanaSender.Fingerprint("jira-secret-0")}"))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
        await AdminClient.ExpectAsync(await Admin.PostAsync($"/integrations/{jira.IntegrationId}/secrets", new { secret = "jira-secret-10" }), HttpStatusCode.Created);
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
        using var add = await Client.PostAsync($"{AdminClient.Prefix}/integrations/{asana.IntegrationId}/secrets", AdminClient.Json("{\"secret\":\"a-strangers-secret\"}"));

        Assert.That(window.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await FingerprintsAsync(asana.IntegrationId), Is.Empty, "a stranger cannot add a secret of their own");
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
