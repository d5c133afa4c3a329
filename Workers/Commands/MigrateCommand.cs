using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Webhooks.Persistence;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>migrate</c>: the deploy scripts run it, as the owner, before starting the ingress and the workers. Given the
/// restricted roles' passwords (<c>DatabaseRoles:IngressPassword</c>, <c>DatabaseRoles:WorkerPassword</c>) it first makes
/// those roles or sets their passwords (compose and Kubernetes; locally deploy/services/start.sh does it as postgres).
/// </summary>
public static class MigrateCommand
{
    public const string IngressPasswordSetting = "DatabaseRoles:IngressPassword";
    public const string WorkerPasswordSetting = "DatabaseRoles:WorkerPassword";

    public static async Task<int> RunAsync(string[] hostArguments, TextWriter output, CancellationToken cancellationToken = default)
    {
        var configuration = WebApplication.CreateSlimBuilder(hostArguments).Configuration;
        var connectionString = configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await output.WriteLineAsync($"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName} (environment: ConnectionStrings__{PersistenceExtensions.ConnectionStringName}).");
            return 1;
        }
        var ingressPassword = configuration[IngressPasswordSetting];
        var workerPassword = configuration[WorkerPasswordSetting];
        if (!string.IsNullOrEmpty(ingressPassword) || !string.IsNullOrEmpty(workerPassword))
        {
            await PersistenceExtensions.EnsureRolesAsync(connectionString, ingressPassword, workerPassword, cancellationToken);
            await output.WriteLineAsync("Database roles ensured.");
        }
        await PersistenceExtensions.MigrateAsync(connectionString, cancellationToken);
        await output.WriteLineAsync("Database migrated.");
        return 0;
    }
}
