using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// Signing secrets and settings' apiToken are stored encrypted with Data Protection (key ring in PostgreSQL); secrets
/// stored in plaintext before encryption existed still verify and are encrypted on their next write.
/// </summary>
[NonParallelizable]
public sealed class SecretsAtRestTests : IngressFixture
{
    [Test]
    public async Task Signing_secret_and_api_token_given_to_theAdmin_API_are_stored_encrypted_and_still_verify()
    {
        const string secret = "at-rest-signing-secret-0001";
        const string apiToken = "at-rest-api-token-0001";
        var seeded = await SeedGitHubAsync(secret, apiToken);

        var (storedSecret, storedSettings) = await StoredAsync(seeded.IntegrationId);
        Assert.Multiple(() =>
        {
            Assert.That(storedSecret, Does.StartWith(SecretProtector.Prefix).And.Not.Contain(secret));
            Assert.That(storedSettings, Does.Not.Contain(apiToken));
            Assert.That(IntegrationSettings.Parse(storedSettings).ApiToken, Does.StartWith(SecretProtector.Prefix));
        });
        Assert.That(await GitHubSender.PostSignedAsync(Client, seeded.WebhookPath, secret), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await GitHubSender.PostSignedAsync(Client, seeded.WebhookPath, storedSecret!), Is.EqualTo(HttpStatusCode.Unauthorized),
            "the stored ciphertext is not the secret");
    }

    [Test]
    public async Task Patched_signing_secret_is_stored_encrypted_and_verifies()
    {
        var seeded = await SeedGitHubAsync(secret: null, apiToken: null);
        await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { signingSecret = "patched-secret-0002" });
        var (storedSecret, _) = await StoredAsync(seeded.IntegrationId);
        Assert.That(storedSecret, Does.StartWith(SecretProtector.Prefix).And.Not.Contain("patched-secret-0002"));
        Assert.That(await GitHubSender.PostSignedAsync(Client, seeded.WebhookPath, "patched-secret-0002"), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Asana_handshake_secret_is_stored_encrypted_and_verifies_the_next_event()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Asana);
        using (var handshake = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            handshake.Headers.Add("X-Hook-Secret", "asana-at-rest-0003");
            using var answered = await Client.SendAsync(handshake);
            Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var (storedSecret, _) = await StoredAsync(integration.Id);
        Assert.That(storedSecret, Does.StartWith(SecretProtector.Prefix).And.Not.Contain("asana-at-rest-0003"));

        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.json");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.TryAddWithoutValidation("X-Hook-Signature", Convert.ToHexStringLower(HMACSHA256.HashData("asana-at-rest-0003"u8, body)));
        using var response = await Client.PostAsync(integration.Path, content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Plaintext_secret_stored_before_encryption_still_verifies_and_is_encrypted_on_its_next_write()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub);
        await App.StoreLegacyPlaintextSecretAsync(integration.Id, "legacy-plaintext-0004");
        Assert.That((await StoredAsync(integration.Id)).Secret, Is.EqualTo("legacy-plaintext-0004"));
        Assert.That(await GitHubSender.PostSignedAsync(Client, integration.Path, "legacy-plaintext-0004"), Is.EqualTo(HttpStatusCode.OK));

        await Admin.PatchIntegrationAsync(integration.Id, new { signingSecret = "legacy-plaintext-0004" });
        Assert.That((await StoredAsync(integration.Id)).Secret, Does.StartWith(SecretProtector.Prefix));
        Assert.That(await GitHubSender.PostSignedAsync(Client, integration.Path, "legacy-plaintext-0004"), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Key_ring_is_kept_in_the_database_so_another_replica_decrypts_the_secret()
    {
        var seeded = await SeedGitHubAsync("replica-secret-0005", apiToken: null);
        await using (var connection = new NpgsqlConnection(App.ConnectionString))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM data_protection_keys", connection);
            Assert.That(await count.ExecuteScalarAsync(), Is.GreaterThanOrEqualTo(1L));
        }

        await using var replica = await IngressFixture.StartAsync();
        using var replicaClient = replica.CreateClient();
        var (storedSecret, storedSettings) = await StoredAsync(seeded.IntegrationId);
        Assert.That(replica.Services.GetRequiredService<SecretProtector>().Unprotect(storedSecret), Is.EqualTo("replica-secret-0005"));
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        using var request = GitHubSender.Signed(seeded.WebhookPath, "replica-secret-0005", body);
        using var response = await replicaClient.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Secret_that_cannot_be_decrypted_refuses_the_webhooks_instead_of_accepting_them_unsigned()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub);
        await App.StoreLegacyPlaintextSecretAsync(integration.Id, SecretProtector.Prefix + "not-a-protected-payload");
        Assert.That(await GitHubSender.PostSignedAsync(Client, integration.Path, "anything"), Is.EqualTo(HttpStatusCode.Unauthorized));
        using var unsigned = await Client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private Task<Seeded> SeedGitHubAsync(string? secret, string? apiToken) =>
        Admin.SeedAsync("github", apiToken is null ? null : new { apiToken }, secret);

    private async Task<(string? Secret, string Settings)> StoredAsync(Guid integrationId)
    {
        await using var db = App.CreateDbContext();
        var stored = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == integrationId);
        var secret = await db.IntegrationSigningSecrets.AsNoTracking().Where(s => s.IntegrationId == integrationId).Select(s => s.Secret).SingleOrDefaultAsync();
        return (secret, stored.Settings);
    }
}
