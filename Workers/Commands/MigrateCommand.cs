using System.CommandLine;
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

    public static Command Create(CommandEnvironment environment)
    {
        var migrate = new Command("migrate",
            "Apply the database migrations (and the roles' grants) to ConnectionStrings:Webhooks (the owner), then exit; " +
            "with DatabaseRoles:{IngressPassword,WorkerPassword} it first makes the restricted roles");
        migrate.SetAction((_, cancellationToken) => RunAsync(environment, cancellationToken));
        return migrate;
    }

    public static async Task<int> RunAsync(CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        var configuration = environment.CreateBuilder().Configuration;
        var connectionString = CommandEnvironment.RequireConnectionString(configuration);
        var ingressPassword = configuration[IngressPasswordSetting];
        var workerPassword = configuration[WorkerPasswordSetting];
        if (!string.IsNullOrEmpty(ingressPassword) || !string.IsNullOrEmpty(workerPassword))
        {
            await PersistenceExtensions.EnsureRolesAsync(connectionString, ingressPassword, workerPassword, cancellationToken);
            await environment.Output.WriteLineAsync("Database roles ensured.");
        }
        await PersistenceExtensions.MigrateAsync(connectionString, cancellationToken);
        await environment.Output.WriteLineAsync("Database migrated.");
        return WorkerCommands.Ok;
    }
}
