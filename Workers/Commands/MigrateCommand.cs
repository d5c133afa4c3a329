using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Webhooks.Persistence;

namespace Webhooks.Workers.Commands;

/// <summary><c>migrate</c>: the deploy scripts run it before starting the ingress and the workers.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] hostArguments, TextWriter output, CancellationToken cancellationToken = default)
    {
        var configuration = WebApplication.CreateSlimBuilder(hostArguments).Configuration;
        var connectionString = configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await output.WriteLineAsync($"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName} (environment: ConnectionStrings__{PersistenceExtensions.ConnectionStringName}).");
            return 1;
        }
        await PersistenceExtensions.MigrateAsync(connectionString, cancellationToken);
        await output.WriteLineAsync("Database migrated.");
        return 0;
    }
}
