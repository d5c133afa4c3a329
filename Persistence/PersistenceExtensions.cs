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
    /// Data Protection that encrypts integration secrets (<see cref="SecretProtector"/>).
    /// </summary>
    public static IHostApplicationBuilder AddWebhooksDatabase(this IHostApplicationBuilder builder)
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
        builder.Services.AddDbContext<WebhooksDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredKeyedService<NpgsqlDataSource>(DbContextDataSourceKey)));
        builder.AddSecretProtection();
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
        var options = new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new WebhooksDbContext(options);
        await db.Database.MigrateAsync(cancellationToken);
        await GrantRolesAsync(connectionString, cancellationToken);
    }

    /// <summary>The application roles' privileges (<c>Sql/grants.sql</c>), applied as the owner after the migrations.</summary>
    public static async Task GrantRolesAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var stream = typeof(PersistenceExtensions).Assembly.GetManifestResourceStream("Webhooks.Persistence.grants.sql")
            ?? throw new InvalidOperationException("The embedded grants.sql is missing.");
        using var reader = new StreamReader(stream);
        var sql = await reader.ReadToEndAsync(cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
