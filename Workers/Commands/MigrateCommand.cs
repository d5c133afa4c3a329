using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Webhooks.Persistence;

namespace Webhooks.Workers.Commands;

/// <summary><c>migrate</c>: the deploy scripts run it before starting the ingress and the workers.</summary>
public static class MigrateCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var migrate = new Command("migrate", "Apply the database migrations (and the roles' grants) to ConnectionStrings:Webhooks, then exit");
        migrate.SetAction((_, cancellationToken) => RunAsync(environment, cancellationToken));
        return migrate;
    }

    public static async Task<int> RunAsync(CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        var configuration = environment.CreateBuilder().Configuration;
        var connectionString = configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await environment.Error.WriteLineAsync($"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName} (environment: ConnectionStrings__{PersistenceExtensions.ConnectionStringName}).");
            return WorkerCommands.Failed;
        }
        await PersistenceExtensions.MigrateAsync(connectionString, cancellationToken);
        await environment.Output.WriteLineAsync("Database migrated.");
        return WorkerCommands.Ok;
    }
}
