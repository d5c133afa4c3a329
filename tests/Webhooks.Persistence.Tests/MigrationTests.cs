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
        await using var database = await TestDatabase.CreateAsync("secretsmove");
        await using (var before = new WebhooksDbContext(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(database.ConnectionString).Options))
        {
            await before.GetService<IMigrator>().MigrateAsync("DeliveryTraceParent");
        }
        var encrypted = Guid.NewGuid();
        var plaintext = Guid.NewGuid();
        var without = Guid.NewGuid();
        var updatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO accounts (id, name, status, created_at) VALUES ('{Guid.Empty}', 'A', 'active', now());
                INSERT INTO users (id, account_id, name, email, is_integration_user, created_at) VALUES ('{Guid.Empty}', '{Guid.Empty}', 'U', 'u@example.test', true, now());
                INSERT INTO products (id, account_id, key, name, last_record_number, created_at) VALUES ('{Guid.Empty}', '{Guid.Empty}', 'APP', 'App', 0, now());
                INSERT INTO integrations (id, account_id, product_id, provider, version, name, enabled, token_hash, run_as_user_id, settings, created_at, updated_at, signing_secret)
                SELECT id, '{Guid.Empty}', '{Guid.Empty}', 'asana', 1, 'I', true, decode(md5(id::text), 'hex'), '{Guid.Empty}', jsonb_build_object(), now(), '{updatedAt:O}', secret
                FROM (VALUES ('{encrypted}'::uuid, 'dp1:CfDJ8-stored-ciphertext'), ('{plaintext}'::uuid, 'legacy-plaintext'), ('{without}'::uuid, NULL)) AS v(id, secret);
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        await PersistenceExtensions.MigrateAsync(database.ConnectionString);

        await using var after = new WebhooksDbContext(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(database.ConnectionString).Options);
        var moved = await after.IntegrationSigningSecrets.AsNoTracking().OrderBy(s => s.Secret).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(moved.Select(s => (s.IntegrationId, s.Secret)), Is.EqualTo(new[] { (encrypted, "dp1:CfDJ8-stored-ciphertext"), (plaintext, "legacy-plaintext") }));
            Assert.That(moved.Select(s => s.CreatedAt), Has.All.EqualTo(updatedAt));
            Assert.That(moved.Select(s => s.ExpiresAt), Has.All.Null);
        });
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
