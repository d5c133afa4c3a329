using MassTransit;
using Microsoft.Extensions.Options;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// The transport policy of <see cref="ProcessDeliveryConsumer"/>: exponential in-memory retry for transient failures
/// (database, broker); <see cref="PermanentDeliveryException"/> is not retried. Past the limit MassTransit moves the
/// message to <c>webhooks-&lt;provider&gt;_error</c> and publishes the fault that marks the delivery dead-lettered.
/// No delayed or scheduled redelivery: the broker has no delayed-exchange plugin (masstransit.md §3).
/// </summary>
public sealed class ProcessDeliveryConsumerDefinition(IOptions<WorkerOptions> options) : ConsumerDefinition<ProcessDeliveryConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ProcessDeliveryConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        var worker = options.Value;
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<PermanentDeliveryException>();
            retry.Exponential(worker.RetryLimit, worker.RetryMinInterval, worker.RetryMaxInterval, worker.RetryMinInterval);
        });
    }
}
