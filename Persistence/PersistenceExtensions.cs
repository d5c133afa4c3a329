using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Webhooks.Persistence;

public static class PersistenceExtensions
{
    public const string ConnectionStringName = "Webhooks";

    /// <summary>One <see cref="NpgsqlDataSource"/> per process (pooled connections), and the DbContext on top of it.</summary>
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
        builder.Services.AddDbContext<WebhooksDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        return builder;
    }

    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var options = new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new WebhooksDbContext(options);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
