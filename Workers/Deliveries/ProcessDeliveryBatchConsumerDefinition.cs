using MassTransit;
using Microsoft.Extensions.Options;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// At most <c>Workers:BatchMessageLimit</c> batch messages are worked on at once per queue: each names up to a few
/// hundred deliveries, and more than the group commit can take only wait in memory (the rest stay in the broker).
/// The consumer handles its own failures (<see cref="ProcessDeliveryBatchConsumer"/>), so nothing here retries it.
/// </summary>
public sealed class ProcessDeliveryBatchConsumerDefinition(IOptions<WorkerOptions> options) : ConsumerDefinition<ProcessDeliveryBatchConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ProcessDeliveryBatchConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        consumerConfigurator.ConcurrentMessageLimit = options.Value.BatchMessageLimit;
}
