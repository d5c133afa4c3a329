using Microsoft.EntityFrameworkCore;
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

    private async Task<long> DirectoryVersionAsync(Guid accountId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT directory_version FROM accounts WHERE id = '{accountId}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
