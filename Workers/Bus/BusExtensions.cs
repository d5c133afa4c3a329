using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Workers.DeadLetters;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Holding;

namespace Webhooks.Workers.Bus;

public static class BusExtensions
{
    public const string RabbitMqSectionName = "RabbitMqTransport";

    // HostOptions.ShutdownTimeout > StopTimeout ≥ ConsumerStopTimeout (masstransit.md §2.5): in-flight messages get
    // ConsumerStopTimeout to finish; then their CancellationToken fires, they stop waiting for their batch and the broker
    // requeues them. Nothing is half-applied because a batch is one transaction: it either commits (the redelivery then
    // finds the outcome) or is cancelled when the host disposes it and rolls back.
    public static readonly TimeSpan ConsumerStopTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(25);
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// MassTransit's own options (Host, Port, VHost, User, Pass) from <c>RabbitMqTransport</c>: UsingRabbitMq reads them
    /// when no Host is configured, and the operator verbs connect to the error queues with the very same.
    /// </summary>
    public static IHostApplicationBuilder AddRabbitMqTransportOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RabbitMqTransportOptions>().BindConfiguration(RabbitMqSectionName);
        return builder;
    }

    /// <summary>
    /// One quorum receive endpoint per consumed provider, <c>webhooks-&lt;provider&gt;</c>; replicas with the same list
    /// compete on the same queues. With <paramref name="deployTopologyOnly"/> the endpoints of every provider are
    /// declared and nothing is consumed (the <c>deploy-topology</c> verb).
    /// </summary>
    public static IHostApplicationBuilder AddWorkerBus(this IHostApplicationBuilder builder, bool deployTopologyOnly = false)
    {
        builder.AddRabbitMqTransportOptions();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            // Start without waiting for the broker, so /health/live answers and /health/ready says why it is not ready.
            o.WaitUntilStarted = false;
            o.StopTimeout = StopTimeout;
            o.ConsumerStopTimeout = ConsumerStopTimeout;
        });

        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<ProcessDeliveryConsumer, ProcessDeliveryConsumerDefinition>().ExcludeFromConfigureEndpoints();
            x.AddConsumer<ProcessDeliveryBatchConsumer>().ExcludeFromConfigureEndpoints();
            x.AddConsumer<DeliveryFaultConsumer>().ExcludeFromConfigureEndpoints();
            x.AddHeldDeliveryConsumer();

            x.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<WorkerOptions>>().Value;
                cfg.DeployTopologyOnly = deployTopologyOnly;
                var providers = deployTopologyOnly ? ProviderNames.All : options.ConsumedProviders();
                foreach (var provider in providers)
                {
                    cfg.ReceiveEndpoint(QueueNames.For(provider), e =>
                    {
                        // One message type shared by all provider queues: no binding of its type exchange (a Publish
                        // would reach every queue). The ingress sends to exchange:webhooks-<provider>.
                        e.ConfigureConsumeTopology = false;
                        e.SetQuorumQueue();
                        e.PrefetchCount = options.PrefetchCount;
                        e.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
                        e.ConfigureConsumer<ProcessDeliveryConsumer>(context);
                        e.ConfigureConsumer<ProcessDeliveryBatchConsumer>(context);
                    });
                }

                cfg.ReceiveEndpoint(DeliveryFaultConsumer.QueueName, e =>
                {
                    // Bound to the Fault<ProcessDelivery> exchange (consume topology on), so every provider's faults arrive.
                    e.SetQuorumQueue();
                    e.PrefetchCount = options.PrefetchCount;
                    e.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
                    // The database may be what failed: keep trying for a while before this one gives up too.
                    e.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)));
                    e.ConfigureConsumer<DeliveryFaultConsumer>(context);
                });

                // Deliveries the ingress accepted while PostgreSQL was down (Workers/Holding).
                cfg.HoldingEndpoint(context);
            });
        });
        return builder;
    }
}
