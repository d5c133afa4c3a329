namespace Webhooks.Ingress.Outbox;

public static class OutboxExtensions
{
    public static WebApplicationBuilder AddOutboxRelay(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboxOptions>()
            .BindConfiguration(OutboxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxRelay>());
        builder.Services.AddSingleton<OutboxNotificationListener>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxNotificationListener>());
        return builder;
    }
}
