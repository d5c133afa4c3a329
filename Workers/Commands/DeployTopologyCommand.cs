using System.CommandLine;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>deploy-topology</c>: declares every provider's exchange, quorum queue and binding (and the faults queue) without
/// consuming, so a delivery the ingress sends with <c>Mandatory</c> always finds its queue (masstransit.md §1.4).
/// </summary>
public static class DeployTopologyCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var deploy = new Command("deploy-topology", "Declare the exchanges and quorum queues of every provider without consuming, then exit");
        deploy.SetAction((_, cancellationToken) => RunAsync(environment, cancellationToken));
        return deploy;
    }

    public static async Task<int> RunAsync(CommandEnvironment environment, CancellationToken cancellationToken = default)
    {
        await using var app = WorkerHost.Build(environment.ConfigurationArguments, deployTopologyOnly: true);
        var bus = app.Services.GetRequiredService<IBusControl>();
        await bus.DeployAsync(cancellationToken);
        await environment.Output.WriteLineAsync("Topology deployed for every provider.");
        return WorkerCommands.Ok;
    }
}
