using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Persistence;

public static class PersistenceExtensions
{
    public const string ConnectionStringName = "Webhooks";

    /// <summary>The key of the <see cref="NpgsqlDataSource"/> the <see cref="WebhooksDbContext"/> uses; by default the process's one.</summary>
    public const string DbContextDataSourceKey = "Webhooks.DbContext";

    /// <summary>
    /// One <see cref="NpgsqlDataSource"/> per process (pooled connections), the DbContext on top of it, and the
    /// Data Protection that encrypts integration secrets (<see cref="SecretProtector"/>); <paramref name="keyRing"/> says
    /// whether this program may add keys to its key ring.
    /// </summary>
    public static IHostApplicationBuilder AddWebhooksDatabase(this IHostApplicationBuilder builder, KeyRingAccess keyRing = KeyRingAccess.CreateKeys)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Missing setting ConnectionStrings:{ConnectionStringName} (environment: ConnectionStrings__{ConnectionStringName}). " +
                "deploy/run.sh sets it for the local stack.");
        }

        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        builder.Services.AddKeyedSingleton(DbContextDataSourceKey, (services, _) => services.GetRequiredService<NpgsqlDataSource>());
        // Pooled: a worker opens a scope per batch, and building the context's options and internal services for each
        // was ~10 % of its CPU at a moderate rate (issue 15). Nothing here changes a context's settings per use.
        builder.Services.AddDbContextPool<WebhooksDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredKeyedService<NpgsqlDataSource>(DbContextDataSourceKey)));
        builder.AddSecretProtection(keyRing);
        return builder;
    }

    /// <summary>
    /// Gives the <see cref="WebhooksDbContext"/> its own connection string <c>ConnectionStrings:{name}</c>, when set, while
    /// the process's <see cref="NpgsqlDataSource"/> keeps <c>ConnectionStrings:Webhooks</c>. The ingress uses it so the
    /// admin API (the only DbContext user there) connects as a role that may write everything, while the webhook path
    /// connects as the restricted ingress role. Unset: the DbContext shares the process's connection string.
    /// </summary>
    public static IHostApplicationBuilder UseDbContextConnection(this IHostApplicationBuilder builder, string name)
    {
        var connectionString = builder.Configuration.GetConnectionString(name);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            builder.Services.AddKeyedSingleton(DbContextDataSourceKey, (_, _) => new NpgsqlDataSourceBuilder(connectionString).Build());
        }
        return builder;
    }

    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        // No command timeout: building an index on a table already large (CONCURRENTLY, so the stack keeps running) can
        // take longer than 30 s, and a build cut short leaves an invalid index behind.
        var options = new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString, npgsql => npgsql.CommandTimeout(0)).Options;
        await using var db = new WebhooksDbContext(options);
        await db.Database.MigrateAsync(cancellationToken);
        await GrantRolesAsync(connectionString, cancellationToken);
    }

    /// <summary>The application roles' privileges (<c>Sql/grants.sql</c>), applied as the owner after the migrations.</summary>
    public static async Task GrantRolesAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(await EmbeddedSqlAsync("grants.sql", cancellationToken), connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Makes the ingress's and the workers' login roles, or sets their passwords again (<c>Sql/roles.sql</c>); a null or
    /// empty password leaves that role alone. Needs a role that may create roles; run before <see cref="MigrateAsync"/>,
    /// whose grants skip roles that do not exist.
    /// </summary>
    public static async Task EnsureRolesAsync(string connectionString, string? ingressPassword, string? workerPassword, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Transaction-local settings: the passwords never outlive this transaction (nor reach a pooled session).
        await using (var settings = new NpgsqlCommand(
            "SELECT set_config('webhooks.ingress_password', $1, true), set_config('webhooks.worker_password', $2, true)", connection, transaction))
        {
            settings.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ingressPassword ?? "" });
            settings.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerPassword ?? "" });
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var roles = new NpgsqlCommand(await EmbeddedSqlAsync("roles.sql", cancellationToken), connection, transaction))
        {
            await roles.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<string> EmbeddedSqlAsync(string name, CancellationToken cancellationToken)
    {
        await using var stream = typeof(PersistenceExtensions).Assembly.GetManifestResourceStream($"Webhooks.Persistence.{name}")
            ?? throw new InvalidOperationException($"The embedded {name} is missing.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
