using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers.Deliveries;

/// <summary>Thin: hands the delivery to <see cref="DeliveryProcessor"/> and logs the outcome.</summary>
public sealed class ProcessDeliveryConsumer(IServiceScopeFactory scopes, WorkerTelemetry telemetry, ILogger<ProcessDeliveryConsumer> logger) : IConsumer<ProcessDelivery>
{
    public async Task Consume(ConsumeContext<ProcessDelivery> context)
    {
        var message = context.Message;
        using var logScope = Log.BeginDeliveryScope(logger, message.DeliveryId, message.IntegrationId, message.Provider.ToWireName());

        // A scope (and so a DbContext) of its own for every attempt: a retry must not see what a failed attempt tracked.
        await using var scope = scopes.CreateAsyncScope();
        var processor = scope.ServiceProvider.GetRequiredService<DeliveryProcessor>();
        var outcome = await telemetry.ApplyAsync(message, () => processor.ProcessAsync(message.DeliveryId, context.CancellationToken));

        if (outcome.Status is DeliveryStatus.Processed or DeliveryStatus.Duplicate && outcome.Reason is null)
        {
            Log.Processed(logger, message.DeliveryId, outcome.Status, outcome.Applied, outcome.Duplicates, outcome.NoTarget);
        }
        else
        {
            Log.NotApplied(logger, message.DeliveryId, outcome.Status, outcome.Reason);
        }
    }
}
