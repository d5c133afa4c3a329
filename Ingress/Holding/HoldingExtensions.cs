namespace Webhooks.Ingress.Holding;

public static class HoldingExtensions
{
    /// <summary>The holding queue fallback (section <c>Holding</c>): accept through RabbitMQ while PostgreSQL is down.</summary>
    public static WebApplicationBuilder AddHoldingQueue(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HoldingOptions>().BindConfiguration(HoldingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HoldingQueue>();
        builder.Services.AddHostedService<KeyRingPreload>();
        return builder;
    }
}
