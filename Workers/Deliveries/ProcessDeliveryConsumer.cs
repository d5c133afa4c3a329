using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers.Deliveries;

/// <summary>Thin: hands the delivery to the next batch (<see cref="DeliveryGroupCommit"/>) and logs the outcome.</summary>
public sealed class ProcessDeliveryConsumer(DeliveryGroupCommit batches, WorkerTelemetry telemetry, ILogger<ProcessDeliveryConsumer> logger) : IConsumer<ProcessDelivery>
{
    public async Task Consume(ConsumeContext<ProcessDelivery> context)
    {
        var message = context.Message;
        using var logScope = Log.BeginDeliveryScope(logger, message.DeliveryId, message.IntegrationId, message.Provider.ToWireName());

        var outcome = await telemetry.ApplyAsync(message, () => batches.ProcessAsync(message.DeliveryId, message.Provider, SentTime.Of(context), context.CancellationToken));
        Log.Outcome(logger, message.DeliveryId, outcome);
    }
}
