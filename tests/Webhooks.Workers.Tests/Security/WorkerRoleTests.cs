using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Security;

/// <summary>
/// The workers connect as <c>webhooks_worker</c> (Persistence/Sql/grants.sql): they read what processing needs, insert
/// into the ledger and the history, update only the columns a change or an outcome sets, and never see tokens or
/// signing secrets, never write the key ring, never delete or change the schema. Every worker host of this project runs
/// on that role (<see cref="WorkerApplication"/>), so the provider end-to-end tests apply every provider on it.
/// </summary>
[NonParallelizable]
public sealed class WorkerRoleTests
{
    /// <summary>Every table the role may touch at all; anything else (users, the migrations history, tables added later) it may not.</summary>
    private static readonly string[] ReachableTables =
    [
        "accounts", "applied_changes", "audit_entries", "comments", "data_protection_keys", "deliveries", "integrations", "links",
        "memberships", "outbox", "products", "records",
    ];

    [TestCase("SELECT token_hash FROM integrations", TestName = "No token hashes")]
    [TestCase("SELECT handshake_window_until FROM integrations", TestName = "No handshake windows")]
    [TestCase("SELECT * FROM integrations", TestName = "No whole integration rows (they hold the token hash)")]
    [TestCase("UPDATE integrations SET enabled = true", TestName = "No integration changes")]
    [TestCase("UPDATE integrations SET settings = settings", TestName = "No settings changes")]
    [TestCase("UPDATE integrations SET handshake_window_until = now()", TestName = "No handshake windows opened")]
    [TestCase("SELECT secret FROM integration_signing_secrets", TestName = "Signing secrets: none read")]
    [TestCase("SELECT count(*) FROM integration_signing_secrets", TestName = "Signing secrets: not even counted")]
    [TestCase("INSERT INTO integration_signing_secrets (id, integration_id, secret, created_at) SELECT gen_random_uuid(), id, 'x', now() FROM integrations LIMIT 1",
        TestName = "Signing secrets: none added")]
    [TestCase("UPDATE integration_signing_secrets SET expires_at = now()", TestName = "Signing secrets: none expired")]
    [TestCase("DELETE FROM integration_signing_secrets", TestName = "Signing secrets: none removed")]
    [TestCase("SELECT friendly_name FROM data_protection_keys", TestName = "Key ring: only what decrypting needs")]
    [TestCase("INSERT INTO data_protection_keys (friendly_name, xml) VALUES ('intruder', '<key/>')", TestName = "Key ring: no new keys")]
    [TestCase("UPDATE data_protection_keys SET xml = xml", TestName = "Key ring: no rewrites")]
    [TestCase("DELETE FROM data_protection_keys", TestName = "Key ring: no deletes")]
    [TestCase("SELECT * FROM audit_entries", TestName = "History: insert only, no reads")]
    [TestCase("UPDATE audit_entries SET action = action", TestName = "History: no rewrites")]
    [TestCase("DELETE FROM audit_entries", TestName = "History: no deletes")]
    [TestCase("SELECT delivery_id FROM applied_changes", TestName = "Ledger: only the key columns its insert returns")]
    [TestCase("UPDATE applied_changes SET applied_at = now()", TestName = "Ledger: no rewrites")]
    [TestCase("DELETE FROM applied_changes", TestName = "Ledger: no deletes")]
    [TestCase("TRUNCATE applied_changes", TestName = "Ledger: no truncate")]
    [TestCase("UPDATE deliveries SET body = ''::bytea", TestName = "Deliveries: bodies are never rewritten")]
    [TestCase("UPDATE deliveries SET headers = '{}'", TestName = "Deliveries: headers are never rewritten")]
    [TestCase("UPDATE deliveries SET signature_verified = true", TestName = "Deliveries: the signature flag is never rewritten")]
    [TestCase("UPDATE deliveries SET integration_id = integration_id", TestName = "Deliveries: never moved to another integration")]
    [TestCase("INSERT INTO deliveries (id, integration_id, provider, received_at, headers, body, signature_verified, status, trace_parent) " +
        "SELECT gen_random_uuid(), id, provider, now(), '{}', ''::bytea, true, 'accepted', 'x' FROM integrations LIMIT 1", TestName = "Deliveries: only the held-delivery columns are inserted")]
    [TestCase("DELETE FROM deliveries", TestName = "Deliveries: no deletes")]
    [TestCase("UPDATE outbox SET delivery_ids = delivery_ids", TestName = "Outbox: rows are added by the deliveries' triggers, never changed")]
    [TestCase("DELETE FROM outbox", TestName = "Outbox: no deletes (only the relay sends)")]
    [TestCase("TRUNCATE deliveries", TestName = "Deliveries: no truncate")]
    [TestCase("UPDATE records SET product_id = product_id", TestName = "Records: never moved")]
    [TestCase("UPDATE records SET deleted = true", TestName = "Records: never deleted, not even softly")]
    [TestCase("DELETE FROM records", TestName = "Records: no deletes")]
    [TestCase("UPDATE comments SET record_id = record_id", TestName = "Comments: never moved")]
    [TestCase("DELETE FROM comments", TestName = "Comments: no deletes (a deleted comment is flagged)")]
    [TestCase("SELECT email FROM users", TestName = "Users: nothing")]
    [TestCase("UPDATE users SET name = name", TestName = "Users: no changes")]
    [TestCase("SELECT name FROM accounts", TestName = "Accounts: only the status")]
    [TestCase("UPDATE accounts SET status = 'active'", TestName = "Accounts: no changes")]
    [TestCase("INSERT INTO accounts (id, name, status, created_at) VALUES (gen_random_uuid(), 'x', 'active', now())", TestName = "Accounts: no inserts")]
    [TestCase("UPDATE memberships SET role = 'owner'", TestName = "Memberships: no changes (no self-promotion)")]
    [TestCase("INSERT INTO links (id, record_id, integration_id, external_id, created_at) SELECT gen_random_uuid(), id, id, 'x', now() FROM records LIMIT 1",
        TestName = "Links: no new links")]
    [TestCase("UPDATE products SET account_id = account_id", TestName = "Products: no changes")]
    [TestCase("SELECT * FROM \"__EFMigrationsHistory\"", TestName = "Migrations history: nothing")]
    [TestCase("SELECT nextval('directory_version_seq')", TestName = "Sequences: none")]
    [TestCase("DROP TABLE records", TestName = "DDL: no drop")]
    [TestCase("ALTER TABLE records ADD COLUMN intruder int", TestName = "DDL: no alter")]
    [TestCase("CREATE TABLE intruder (id int)", TestName = "DDL: no create")]
    public async Task Worker_role_is_refused(string statement)
    {
        await using var connection = new NpgsqlConnection(WorkerApplication.WorkerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection);
        var refused = Assert.ThrowsAsync<PostgresException>(async () => await command.ExecuteNonQueryAsync());
        Assert.That(refused!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), refused.MessageText);
    }

    [Test]
    public async Task Worker_role_reaches_only_the_tables_processing_needs()
    {
        await using var connection = new NpgsqlConnection(WorkersSetUp.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S')
               AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')
                        ELSE has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')
                             OR has_table_privilege($1, c.oid, 'DELETE, TRUNCATE, TRIGGER') END
             ORDER BY 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = TestServices.WorkerRole });
        var reachable = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                reachable.Add(reader.GetString(0));
            }
        }
        Assert.That(reachable, Is.EquivalentTo(ReachableTables), "a table the workers do not use (a new one included) gets no grant");
    }

    [Test]
    public async Task Worker_on_the_restricted_role_applies_a_delivery_and_records_its_replay_as_duplicate()
    {
        await using var virtualHost = await TestVirtualHost.CreateAsync("worker-role");
        await using var worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={virtualHost.Name}");

        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await scenario.CreateIntegrationAsync(product, runAs);
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var body = PayloadFixtures.Read(Webhooks.Contracts.Provider.Jira, "comment_created.json");

        var first = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "replayed-1");
        await worker.SendAsync(first);
        var applied = await WaitForOutcomeAsync(first.Id);
        Assert.That(applied.Status, Is.EqualTo(DeliveryStatus.Processed), applied.LastError);

        var replay = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "replayed-1");
        await worker.SendAsync(replay);
        Assert.That((await WaitForOutcomeAsync(replay.Id)).Status, Is.EqualTo(DeliveryStatus.Duplicate));
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1), "the replay applies nothing twice");
    }

    [Test]
    public async Task Worker_on_its_role_decrypts_an_api_token_the_ingress_encrypted_but_never_writes_the_key_ring()
    {
        // A fresh database: its key ring is empty until a program that may make keys (the ingress) makes one.
        await using var database = await TestDatabase.CreateAsync("keyring");
        await using var worker = WorkerServices(TestServices.ConnectionAs(database.ConnectionString, TestServices.WorkerRole));

        var refused = Assert.Catch(() => worker.GetRequiredService<HeldDeliverySeal>().LoadKeyRing(),
            "with no key to use, a worker fails where it encrypts instead of making a key");
        Assert.That(Messages(refused), Does.Contain("auto-generation of keys is disabled"));
        Assert.That(await KeyCountAsync(database), Is.Zero, "the worker wrote nothing to the key ring");

        await using var ingress = IngressServices(database.ConnectionString);
        var stored = ingress.GetRequiredService<SecretProtector>().Protect("smartsheet-api-token-0001");
        Assert.That(await KeyCountAsync(database), Is.EqualTo(1), "the ingress side made the first key");

        Assert.That(worker.GetRequiredService<SecretProtector>().Unprotect(stored), Is.EqualTo("smartsheet-api-token-0001"));
        Assert.That(await KeyCountAsync(database), Is.EqualTo(1));
    }

    /// <summary>Data Protection as the worker host registers it (read-only key ring), on the given role.</summary>
    private static ServiceProvider WorkerServices(string connectionString) => Services(connectionString, KeyRingAccess.ReadOnly);

    /// <summary>Data Protection as the ingress registers it: it may make keys.</summary>
    private static ServiceProvider IngressServices(string connectionString) => Services(connectionString, KeyRingAccess.CreateKeys);

    private static ServiceProvider Services(string connectionString, KeyRingAccess access)
    {
        var builder = Host.CreateApplicationBuilder([$"--ConnectionStrings:Webhooks={connectionString}", $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}"]);
        builder.AddWebhooksDatabase(access);
        return builder.Services.BuildServiceProvider();
    }

    private static string Messages(Exception? e)
    {
        var messages = new List<string>();
        for (; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }
        return string.Join(" | ", messages);
    }

    private static async Task<long> KeyCountAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM data_protection_keys", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
