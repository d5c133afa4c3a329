using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Testing;

namespace Webhooks.Persistence.Tests;

public sealed class MigrationTests
{
    private TestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task Migrate_an_empty_database()
    {
        await TestServices.EnsureReachableAsync();
        _database = await TestDatabase.CreateAsync("migrations");
    }

    [OneTimeTearDown]
    public async Task Drop() => await _database.DisposeAsync();

    private WebhooksDbContext Db() => new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(_database.ConnectionString).Options);

    [Test]
    public async Task Migrations_apply_to_an_empty_database_and_leave_nothing_pending()
    {
        await using var db = Db();
        Assert.Multiple(async () =>
        {
            Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty);
            Assert.That(db.Database.HasPendingModelChanges(), Is.False, "the model changed without a migration: run dotnet ef migrations add");
        });
    }

    [Test]
    public async Task Applying_migrations_again_is_harmless()
    {
        await PersistenceExtensions.MigrateAsync(_database.ConnectionString);
        await using var db = Db();
        Assert.That(await db.Database.GetAppliedMigrationsAsync(), Is.Not.Empty);
    }

    [Test]
    public async Task Every_change_to_an_integration_or_account_moves_the_directory_version()
    {
        await using var db = Db();
        var now = DateTimeOffset.UtcNow;
        var account = new Account { Id = Guid.NewGuid(), Name = "A", Status = AccountStatus.Active, CreatedAt = now };
        db.Accounts.Add(account);
        await db.SaveChangesAsync();
        var before = await DirectoryVersionAsync(account.Id);

        await db.Accounts.Where(a => a.Id == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AccountStatus.Suspended));

        Assert.That(await DirectoryVersionAsync(account.Id), Is.GreaterThan(before));
    }

    [Test]
    public async Task Applied_change_ledger_refuses_the_same_key_for_the_same_record()
    {
        await using var db = Db();
        var recordId = Guid.NewGuid();
        db.AppliedChanges.Add(new AppliedChange { RecordId = recordId, DedupKey = "jira:comment:1", DeliveryId = Guid.NewGuid(), AppliedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();

        await using var second = Db();
        second.AppliedChanges.Add(new AppliedChange { RecordId = recordId, DedupKey = "jira:comment:1", DeliveryId = Guid.NewGuid(), AppliedAt = DateTimeOffset.UtcNow });
        var error = Assert.ThrowsAsync<DbUpdateException>(() => second.SaveChangesAsync());
        Assert.That(error!.InnerException, Is.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.UniqueViolation));
    }

    [Test]
    public async Task Delivery_status_is_stored_as_its_wire_name()
    {
        await using var db = Db();
        var delivery = new Delivery { Id = Guid.NewGuid(), IntegrationId = Guid.NewGuid(), Provider = Contracts.Provider.GitHub, ReceivedAt = DateTimeOffset.UtcNow, Status = DeliveryStatus.DeadLettered };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();

        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT status || ' ' || provider FROM deliveries WHERE id = '{delivery.Id}'", connection);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("dead_lettered github"));
    }

    [Test]
    public async Task Every_change_to_an_integrations_signing_secrets_moves_its_directory_version()
    {
        // The ingress reloads an integration (with its secrets) when its directory_version moves; a removed secret
        // leaves no row behind, so the integration row itself must move.
        await using var db = Db();
        var integrationId = await NewIntegrationAsync(db);
        var secret = new IntegrationSigningSecret { Id = Guid.NewGuid(), IntegrationId = integrationId, Secret = "dp1:x", CreatedAt = DateTimeOffset.UtcNow };

        var before = await IntegrationVersionAsync(integrationId);
        db.IntegrationSigningSecrets.Add(secret);
        await db.SaveChangesAsync();
        var added = await IntegrationVersionAsync(integrationId);
        await db.IntegrationSigningSecrets.Where(s => s.Id == secret.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, DateTimeOffset.UtcNow));
        var expired = await IntegrationVersionAsync(integrationId);
        await db.IntegrationSigningSecrets.Where(s => s.Id == secret.Id).ExecuteDeleteAsync();
        var removed = await IntegrationVersionAsync(integrationId);

        Assert.That(new[] { before, added, expired, removed }, Is.Ordered.Ascending.And.Unique);
    }

    [Test]
    public async Task Signing_secrets_kept_on_integrations_move_to_their_own_table_as_stored()
    {
        // A database as it was before the table existed, with one encrypted and one plaintext (pre-encryption) secret.
        await using var database = await DatabaseMigratedToAsync("secretsmove", "DeliveryTraceParent");
        var encrypted = Guid.NewGuid();
        var plaintext = Guid.NewGuid();
        var without = Guid.NewGuid();
        var updatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await database.ExecuteAsync($"""
            INSERT INTO accounts (id, name, status, created_at) VALUES ('{Guid.Empty}', 'A', 'active', now());
            INSERT INTO users (id, account_id, name, email, is_integration_user, created_at) VALUES ('{Guid.Empty}', '{Guid.Empty}', 'U', 'u@example.test', true, now());
            INSERT INTO products (id, account_id, key, name, last_record_number, created_at) VALUES ('{Guid.Empty}', '{Guid.Empty}', 'APP', 'App', 0, now());
            INSERT INTO integrations (id, account_id, product_id, provider, version, name, enabled, token_hash, run_as_user_id, settings, created_at, updated_at, signing_secret)
            SELECT id, '{Guid.Empty}', '{Guid.Empty}', 'asana', 1, 'I', true, decode(md5(id::text), 'hex'), '{Guid.Empty}', jsonb_build_object(), now(), '{updatedAt:O}', secret
            FROM (VALUES ('{encrypted}'::uuid, 'dp1:CfDJ8-stored-ciphertext'), ('{plaintext}'::uuid, 'legacy-plaintext'), ('{without}'::uuid, NULL)) AS v(id, secret);
            """);

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        await using var after = DbOf(database);
        var moved = await after.IntegrationSigningSecrets.AsNoTracking().OrderBy(s => s.Secret).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(moved.Select(s => (s.IntegrationId, s.Secret)), Is.EqualTo(new[] { (encrypted, "dp1:CfDJ8-stored-ciphertext"), (plaintext, "legacy-plaintext") }));
            Assert.That(moved.Select(s => s.CreatedAt), Has.All.EqualTo(updatedAt));
            Assert.That(moved.Select(s => s.ExpiresAt), Has.All.Null);
        });
    }

    [Test]
    public async Task Deliveries_waiting_for_the_relay_before_the_outbox_table_are_in_it_after_the_migration()
    {
        await using var database = await DatabaseMigratedToAsync("outboxmove", "DeliveriesFillFactorForSamePageUpdates");
        var waiting = Guid.NewGuid();
        await database.ExecuteAsync($"""
            INSERT INTO deliveries (id, integration_id, provider, received_at, headers, body, signature_verified, status, attempts,
                                    applied, duplicates, no_target, published_at)
            SELECT id, '{Guid.Empty}', 'jira', now(), jsonb_build_object(), '\x7b7d', true, status, 0, 0, 0, 0, published_at
            FROM (VALUES ('{waiting}'::uuid, 'accepted', NULL::timestamptz), (gen_random_uuid(), 'queued', now()),
                         (gen_random_uuid(), 'processed', now()), (gen_random_uuid(), 'rejected', NULL)) AS v(id, status, published_at);
            """);

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        await using var after = DbOf(database);
        Assert.That(await after.Outbox.SelectMany(o => o.DeliveryIds).ToListAsync(), Is.EqualTo(new[] { waiting }));
    }

    [Test]
    public async Task Outbox_rows_of_one_delivery_each_keep_their_order_when_rows_become_one_per_commit()
    {
        await using var database = await DatabaseMigratedToAsync("outboxrows", "OutboxTable");
        var waiting = new[] { Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7() };
        foreach (var id in waiting.Reverse())
        {
            // One statement each, in reverse: under the old triggers a row per delivery, in that order.
            await InsertAcceptedAsAnOlderVersionAsync(database, id);
        }

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        await using var after = DbOf(database);
        var rows = await after.Outbox.OrderBy(o => o.Id).Select(o => o.DeliveryIds).ToListAsync();
        Assert.That(rows, Is.EqualTo(waiting.Reverse().Select(id => new[] { id })));
    }

    [Test]
    public async Task One_statement_storing_many_deliveries_adds_one_outbox_row_naming_the_waiting_ones()
    {
        await using var db = Db();
        var integrationId = await NewIntegrationAsync(db);
        var accepted = new[] { Guid.CreateVersion7(), Guid.CreateVersion7() };
        var rejected = Guid.CreateVersion7();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO deliveries (id, integration_id, provider, received_at, headers, body, signature_verified, status, attempts,
                                    applied, duplicates, no_target)
            SELECT id, {integrationId}, 'jira', now(), jsonb_build_object(), '\x7b7d'::bytea, true, status, 0, 0, 0, 0
            FROM unnest({new[] { accepted[0], rejected, accepted[1] }}, {new[] { "accepted", "rejected", "accepted" }}) AS v(id, status)
            """);

        var named = new[] { accepted[0], accepted[1], rejected };
        var rows = await db.Outbox.AsNoTracking().Where(o => o.DeliveryIds.Any(id => named.Contains(id))).ToListAsync();
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].DeliveryIds, Is.EquivalentTo(accepted));
    }

    [Test]
    public async Task An_outbox_row_carries_each_waiting_deliverys_claim_check_in_the_order_it_names_them()
    {
        // What the relay sends without reading deliveries: a row's arrays must line up with its delivery_ids.
        await using var db = Db();
        var first = await NewIntegrationAsync(db);
        var second = await NewIntegrationAsync(db);
        var ids = new[] { Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7() };
        var integrations = new[] { first, second, first, second };
        var providers = new[] { "jira", "github", "trello", "jira" };
        var received = new[] { "2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z", "2026-12-01T03:00:00Z", "2026-12-01T04:00:00Z" };
        var traces = new[] { "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null };
        var statuses = new[] { "accepted", "accepted", "accepted", "rejected" };
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO deliveries (id, integration_id, provider, received_at, headers, body, signature_verified, status, attempts,
                                    applied, duplicates, no_target, trace_parent)
            SELECT id, integration_id, provider, received_at::timestamptz, jsonb_build_object(), '\x7b7d'::bytea, true, status, 0, 0, 0, 0, trace_parent
            FROM unnest({ids}, {integrations}, {providers}, {received}, {traces}, {statuses})
                AS v(id, integration_id, provider, received_at, trace_parent, status)
            """);

        var row = await db.Outbox.AsNoTracking().SingleAsync(o => o.DeliveryIds.Contains(ids[0]));
        var waiting = ids.Take(3).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(row.DeliveryIds, Has.Length.EqualTo(3));
            var order = row.DeliveryIds.Select(id => Array.IndexOf(ids, id)).ToArray();
            Assert.That(order.Select(i => ids[i]), Is.EquivalentTo(waiting), "the rejected one does not wait");
            Assert.That(row.IntegrationIds, Is.EqualTo(order.Select(i => integrations[i])));
            Assert.That(row.Providers, Is.EqualTo(order.Select(i => providers[i])));
            Assert.That(row.ReceivedAts, Is.EqualTo(order.Select(i => DateTimeOffset.Parse(received[i], System.Globalization.CultureInfo.InvariantCulture))));
            Assert.That(row.TraceParents, Is.EqualTo(order.Select(i => traces[i])));
            Assert.That(row.Attempts, Is.EqualTo(new[] { 0, 0, 0 }));
        });

        // A put-back (a replay of one that failed twice) carries the delivery's attempts: the relay sends it alone.
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'failed', attempts = 2 WHERE id = {ids[1]}");
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'accepted' WHERE id = {ids[1]}");
        var putBack = await db.Outbox.AsNoTracking().Where(o => o.DeliveryIds.Contains(ids[1])).OrderBy(o => o.Id).LastAsync();
        Assert.That((putBack.DeliveryIds, putBack.IntegrationIds, putBack.Providers, putBack.Attempts),
            Is.EqualTo((new[] { ids[1] }, new[] { second }, new[] { "github" }, new[] { 2 })));
    }

    [Test]
    public async Task Outbox_rows_waiting_before_claim_checks_existed_keep_their_deliveries_without_checks()
    {
        await using var database = await DatabaseMigratedToAsync("outboxchecks", "OutboxRowPerCommit");
        var waiting = Guid.CreateVersion7();
        await InsertAcceptedAsAnOlderVersionAsync(database, waiting);

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        // The relay reads such a row's deliveries from deliveries (OutboxRelayTests covers that path through a shrunk row).
        await using var after = DbOf(database);
        var row = await after.Outbox.AsNoTracking().SingleAsync();
        Assert.That((row.DeliveryIds, row.IntegrationIds, row.Providers, row.ReceivedAts, row.TraceParents, row.Attempts),
            Is.EqualTo((new[] { waiting }, (Guid[]?)null, (string[]?)null, (DateTimeOffset[]?)null, (string?[]?)null, (int[]?)null)));
    }

    [Test]
    public async Task The_outbox_holds_the_accepted_unpublished_deliveries_however_they_were_written()
    {
        await using var db = Db();
        var integrationId = await NewIntegrationAsync(db);
        Delivery New(DeliveryStatus status) => new()
        {
            Id = Guid.CreateVersion7(), IntegrationId = integrationId, Provider = Contracts.Provider.Asana, ReceivedAt = DateTimeOffset.UtcNow,
            Body = "{}"u8.ToArray(), Status = status,
        };
        var accepted = New(DeliveryStatus.Accepted);
        var rejected = New(DeliveryStatus.Rejected);
        var handshake = New(DeliveryStatus.Handshake);
        db.Deliveries.AddRange(accepted, rejected, handshake);
        await db.SaveChangesAsync();
        var ids = new[] { accepted.Id, rejected.Id, handshake.Id };
        async Task<List<Guid>> InOutbox() => await db.Outbox.OrderBy(o => o.Id).SelectMany(o => o.DeliveryIds).Where(id => ids.Contains(id)).ToListAsync();
        Assert.That(await InOutbox(), Is.EqualTo(new[] { accepted.Id }), "stored: only the accepted one waits");

        // What the relay does once it sent it: mark it and take its row out. The mark must not put it back.
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET published_at = now(), status = 'queued' WHERE id = {accepted.Id}");
        await db.Outbox.Where(o => o.DeliveryIds.Contains(accepted.Id)).ExecuteDeleteAsync();
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'processed', attempts = 1, processed_at = now() WHERE id = {accepted.Id}");
        Assert.That(await InOutbox(), Is.Empty, "published and processed: nothing waits");

        // A replay or a hand-back puts it back; one put back while a row of it still waits gets a row of its own (the
        // relay may be about to delete the first for a send that was handed back).
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'accepted', published_at = NULL WHERE id = {accepted.Id}");
        Assert.That(await InOutbox(), Is.EqualTo(new[] { accepted.Id }));
        await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'accepted', published_at = NULL WHERE id = {accepted.Id}");
        Assert.That(await InOutbox(), Is.EqualTo(new[] { accepted.Id, accepted.Id }));
    }

    [Test]
    public async Task History_entries_written_as_changed_in_underscore_provider_read_changed_in_provider_after_the_migration()
    {
        await using var database = await DatabaseMigratedToAsync("historyaction", "AppliedChangesAppliedAtIndex");
        await using (var before = DbOf(database))
        {
            var integrationId = await NewIntegrationAsync(before);
            var integration = await before.Integrations.AsNoTracking().SingleAsync(i => i.Id == integrationId);
            var now = DateTimeOffset.UtcNow;
            var record = new Record { Id = Guid.NewGuid(), ProductId = integration.ProductId, Kind = "feature", ReferenceNum = "APP-1", Name = "R", CreatedAt = now, UpdatedAt = now };
            before.Add(record);
            foreach (var action in new[] { "changed_in_asana", "changed_in_smartsheet", "status_changed" })
            {
                before.Add(new AuditEntry { RecordId = record.Id, UserId = integration.RunAsUserId, Action = action, At = now, IntegrationId = integrationId });
            }
            await before.SaveChangesAsync();
        }

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        await using var after = DbOf(database);
        Assert.That(await after.AuditEntries.AsNoTracking().OrderBy(a => a.Id).Select(a => a.Action).ToListAsync(),
            Is.EqualTo(new[] { "changed in asana", "changed in smartsheet", "status_changed" }));
    }

    [Test]
    public async Task No_index_on_deliveries_names_its_status_or_publication()
    {
        // Any index that names status or published_at, even only in its predicate, turns the relay's mark and every
        // outcome into a new row version with an entry in every index of the largest table (issue 15: half of
        // PostgreSQL's work per webhook). What waits for the relay is the outbox table's business.
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT i.indexrelid::regclass::text FROM pg_index i
            WHERE i.indrelid = 'deliveries'::regclass
              AND (pg_get_indexdef(i.indexrelid) ~ '\m(status|published_at)\M')
            """, connection);
        var offending = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            offending.Add(reader.GetString(0));
        }
        Assert.That(offending, Is.Empty);
    }

    private static WebhooksDbContext DbOf(TestDatabase database) =>
        new(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(database.ConnectionString).Options);

    /// <summary>An accepted delivery stored by one statement, in the columns every version since the outbox has.</summary>
    private static Task InsertAcceptedAsAnOlderVersionAsync(TestDatabase database, Guid id) => database.ExecuteAsync($"""
        INSERT INTO deliveries (id, integration_id, provider, received_at, headers, body, signature_verified, status, attempts,
                                applied, duplicates, no_target)
        VALUES ('{id}', '{Guid.Empty}', 'jira', now(), jsonb_build_object(), '\x7b7d', true, 'accepted', 0, 0, 0, 0)
        """);

    /// <summary>A new database as it was after <paramref name="migration"/>: what a data-moving migration finds.</summary>
    private static async Task<TestDatabase> DatabaseMigratedToAsync(string purpose, string migration)
    {
        var database = await TestDatabase.CreateAsync(purpose);
        await using var before = DbOf(database);
        await before.GetService<IMigrator>().MigrateAsync(migration);
        return database;
    }

    private static async Task<Guid> NewIntegrationAsync(WebhooksDbContext db)
    {
        var now = DateTimeOffset.UtcNow;
        var account = new Account { Id = Guid.NewGuid(), Name = "A", Status = AccountStatus.Active, CreatedAt = now };
        var user = new User { Id = Guid.NewGuid(), AccountId = account.Id, Name = "U", Email = $"{Guid.NewGuid():N}@example.test", CreatedAt = now };
        var product = new Product { Id = Guid.NewGuid(), AccountId = account.Id, Key = "APP", Name = "App", CreatedAt = now };
        var integration = new Integration
        {
            Id = Guid.NewGuid(), AccountId = account.Id, ProductId = product.Id, Provider = Contracts.Provider.Asana, Version = 1, Name = "I",
            Enabled = true, TokenHash = Guid.NewGuid().ToByteArray(), RunAsUserId = user.Id, CreatedAt = now, UpdatedAt = now,
        };
        db.AddRange(account, user, product, integration);
        await db.SaveChangesAsync();
        return integration.Id;
    }

    private async Task<long> IntegrationVersionAsync(Guid integrationId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT directory_version FROM integrations WHERE id = '{integrationId}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> DirectoryVersionAsync(Guid accountId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT directory_version FROM accounts WHERE id = '{accountId}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
