using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// The ingress connects as <c>webhooks_ingress</c> (Persistence/Sql/grants.sql), the workers as <c>webhooks_worker</c>,
/// migrations and the admin API as the owner. The roles are made by deploy/services/start.sh.
/// </summary>
[NonParallelizable]
public sealed class LeastPrivilegeTests
{
    private const string IngressRole = "webhooks_ingress";
    private const string WorkerRole = "webhooks_worker";

    private static string ConnectionAs(string role) =>
        new NpgsqlConnectionStringBuilder(IngressSetUp.Database.ConnectionString) { Username = role, Password = role, Pooling = false }.ConnectionString;

    [OneTimeSetUp]
    public async Task Roles_exist()
    {
        await using var connection = new NpgsqlConnection(IngressSetUp.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_roles WHERE rolname IN ('webhooks_ingress', 'webhooks_worker')", connection);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(2L),
            "the roles webhooks_ingress and webhooks_worker are missing: run deploy/services/start.sh (it creates them)");
    }

    [TestCase("DELETE FROM records")]
    [TestCase("DELETE FROM deliveries")]
    [TestCase("TRUNCATE deliveries")]
    [TestCase("TRUNCATE outbox")]
    [TestCase("SELECT body FROM deliveries")]
    [TestCase("SELECT headers FROM deliveries")]
    [TestCase("SELECT * FROM records")]
    [TestCase("SELECT name FROM accounts")]
    [TestCase("SELECT email FROM users")]
    [TestCase("UPDATE integrations SET enabled = true")]
    [TestCase("UPDATE integrations SET token_hash = token_hash")]
    [TestCase("UPDATE deliveries SET body = ''::bytea")]
    [TestCase("UPDATE deliveries SET status = status")]
    [TestCase("UPDATE deliveries SET published_at = now()")]
    [TestCase("INSERT INTO accounts (id, name, status, created_at) VALUES (gen_random_uuid(), 'x', 'active', now())")]
    [TestCase("DROP TABLE records")]
    [TestCase("CREATE TABLE intruder (id int)")]
    [TestCase("DELETE FROM data_protection_keys")]
    [TestCase("DELETE FROM integration_signing_secrets")]
    [TestCase("UPDATE integration_signing_secrets SET secret = secret")]
    [TestCase("UPDATE integration_signing_secrets SET expires_at = now()")]
    [TestCase("INSERT INTO integration_signing_secrets (id, integration_id, secret, created_at, expires_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'x', now(), now())")]
    [TestCase("UPDATE integrations SET handshake_window_until = now()")]
    public async Task Ingress_role_is_refused(string statement) =>
        await AssertRefusedAsync(IngressRole, statement);

    [TestCase("DELETE FROM records")]
    [TestCase("DELETE FROM deliveries")]
    [TestCase("TRUNCATE applied_changes")]
    [TestCase("DROP TABLE records")]
    [TestCase("CREATE TABLE intruder (id int)")]
    [TestCase("DELETE FROM \"__EFMigrationsHistory\"")]
    public async Task Worker_role_is_refused(string statement) =>
        await AssertRefusedAsync(WorkerRole, statement);

    [TestCase("SELECT count(*) FROM deliveries WHERE body IS NOT NULL")]
    [TestCase("SELECT count(*) FROM records")]
    [TestCase("UPDATE deliveries SET attempts = attempts WHERE false")]
    public async Task Worker_role_reads_and_writes_the_domain(string statement)
    {
        await using var connection = new NpgsqlConnection(ConnectionAs(WorkerRole));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection);
        Assert.DoesNotThrowAsync(async () => await command.ExecuteNonQueryAsync());
    }

    [Test]
    public async Task Ingress_on_the_restricted_role_accepts_publishes_handshakes_and_rotates_with_the_admin_on_its_own_connection()
    {
        await using var app = await IngressFixture.StartAsync(configure: web => web
            .UseSetting("ConnectionStrings:Webhooks", ConnectionAs(IngressRole))
            .UseSetting("ConnectionStrings:Admin", IngressSetUp.Database.ConnectionString));
        using var client = app.CreateClient();
        var admin = new AdminClient(app.CreateAdminClient());

        // Admin writes (owner role): account, user, product, integration with an encrypted secret.
        var seeded = await admin.SeedAsync(provider: "asana");
        var token = seeded.Token;

        // Asana handshakes: the ingress role stores the (encrypted) secret of the first webhook, and of a second one
        // inside a handshake window the admin API opened (locking the integration row, bumping its directory version).
        using (var handshake = await AsanaSender.HandshakeAsync(client, seeded.WebhookPath, "asana-handshake-secret"))
        {
            Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        await AdminClient.ExpectAsync(await admin.PostAsync($"/integrations/{seeded.IntegrationId}/handshake-window", new { }), HttpStatusCode.OK);
        using (var second = await AsanaSender.HandshakeAsync(client, seeded.WebhookPath, "second-webhook-secret"))
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(await AsanaSender.PostSignedAsync(client, seeded.WebhookPath, "second-webhook-secret"), Is.EqualTo(HttpStatusCode.OK));

        // A signed delivery is stored (COPY) and published by the relay (claim + mark) as the ingress role.
        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.json");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.TryAddWithoutValidation("X-Hook-Signature",
            Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("asana-handshake-secret"u8, body)));
        using var accepted = await client.PostAsync(seeded.WebhookPath, content);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
        using var answer = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync());
        await app.WaitUntilPublishedAsync([answer.RootElement.GetProperty("deliveryId").GetGuid()], TimeSpan.FromSeconds(30));

        // Rotation through the admin API; the restricted directory sees it.
        var rotated = await AdminClient.ExpectAsync(await admin.PostAsync($"/integrations/{seeded.IntegrationId}/token", new { }), HttpStatusCode.OK);
        using var gone = await client.PostAsync($"/api/v1/webhooks/{token}", JsonContent.Create(new { }));
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(rotated.GetProperty("token").GetString(), Is.Not.EqualTo(token));
    }

    private static async Task AssertRefusedAsync(string role, string statement)
    {
        await using var connection = new NpgsqlConnection(ConnectionAs(role));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection);
        var refused = Assert.ThrowsAsync<PostgresException>(async () => await command.ExecuteNonQueryAsync());
        Assert.That(refused!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), refused.MessageText);
    }
}
