using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>deploy-topology</c>: declares every provider's exchange, quorum queue and binding (and the faults queue) without
/// consuming, so a delivery the ingress sends with <c>Mandatory</c> always finds its queue (masstransit.md §1.4).
/// </summary>
public static class DeployTopologyCommand
{
    public static async Task<int> RunAsync(string[] hostArguments, TextWriter output, CancellationToken cancellationToken = default)
    {
        await using var app = WorkerHost.Build(hostArguments, deployTopologyOnly: true);
        var bus = app.Services.GetRequiredService<IBusControl>();
        await bus.DeployAsync(cancellationToken);
        await output.WriteLineAsync("Topology deployed for every provider.");
        return 0;
    }
}
