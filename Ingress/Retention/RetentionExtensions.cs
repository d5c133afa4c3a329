namespace Webhooks.Ingress.Retention;

public static class RetentionExtensions
{
    /// <summary>The delivery log's retention, run by the ingress that serves the admin API (<see cref="DeliveryRetention"/>).</summary>
    public static WebApplicationBuilder AddDeliveryRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>()
            .BindConfiguration(RetentionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<DeliveryRetention>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DeliveryRetention>());
        return builder;
    }
}
