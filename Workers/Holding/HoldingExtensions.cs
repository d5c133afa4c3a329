using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;

namespace Webhooks.Workers.Holding;

public static class HoldingExtensions
{
    /// <summary>Options (section <c>Holding</c>) of the holding-queue drain.</summary>
    public static IHostApplicationBuilder AddHoldingDrain(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HoldingOptions>().BindConfiguration(HoldingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    public static void AddHeldDeliveryConsumer(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<HeldDeliveryConsumer>().ExcludeFromConfigureEndpoints();

    /// <summary>
    /// The quorum queue <see cref="QueueNames.Holding"/>, consumed by every worker whatever its provider list (and
    /// declared by <c>deploy-topology</c>). Unreachable-database failures are handled by the consumer itself (back to
    /// the queue's tail); the short retry here is for anything else, which is dead-lettered to <c>webhooks-holding_error</c>.
    /// A refused message (no valid seal, no such integration) goes there at once: retrying would not change the answer.
    /// </summary>
    public static void HoldingEndpoint(this IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<HoldingOptions>>().Value;
        cfg.ReceiveEndpoint(QueueNames.Holding, e =>
        {
            e.ConfigureConsumeTopology = false;
            e.SetQuorumQueue();
            e.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
            e.PrefetchCount = options.ConcurrentMessageLimit * 2;
            e.UseMessageRetry(r =>
            {
                r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
                r.Ignore<HeldDeliveryRefusedException>();
            });
            e.ConfigureConsumer<HeldDeliveryConsumer>(context);
        });
    }
}
