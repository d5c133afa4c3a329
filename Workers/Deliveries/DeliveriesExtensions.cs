using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Webhooks.Workers.Applying;

namespace Webhooks.Workers.Deliveries;

public static class DeliveriesExtensions
{
    /// <summary>The delivery pipeline: the batching in front of it, then processor, target resolution, template settings (status and payload mappings), applier.</summary>
    public static IHostApplicationBuilder AddDeliveryProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeliveryGroupCommit>();
        builder.Services.AddSingleton<DeliveryHandBack>();
        builder.Services.AddSingleton<BatchMessageBudget>();
        builder.Services.AddScoped<DeliveryProcessor>();
        builder.Services.AddScoped<TargetResolver>();
        builder.Services.AddScoped<TemplateSettingsResolver>();
        builder.Services.AddScoped<ChangeApplier>();
        return builder;
    }
}
