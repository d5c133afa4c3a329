namespace Webhooks.Ingress.Webhook;

public static class WebhookExtensions
{
    public static WebApplicationBuilder AddWebhookIngress(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IntegrationDirectory>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IntegrationDirectory>());
        builder.Services.AddSingleton<DeliveryWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DeliveryWriter>());
        builder.Services.AddSingleton<SigningSecretStore>();
        builder.Services.AddSingleton<WebhookServices>();
        return builder;
    }
}
