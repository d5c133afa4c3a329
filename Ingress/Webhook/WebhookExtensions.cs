namespace Webhooks.Ingress.Webhook;

public static class WebhookExtensions
{
    public static WebApplicationBuilder AddWebhookIngress(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IntegrationsByToken>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IntegrationsByToken>());
        builder.Services.AddSingleton<DeliveryWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DeliveryWriter>());
        builder.Services.AddSingleton<SigningSecretStore>();
        builder.Services.AddSingleton<WebhookEndpointDependencies>();
        return builder;
    }
}
