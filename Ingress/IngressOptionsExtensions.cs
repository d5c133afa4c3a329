namespace Webhooks.Ingress;

public static class IngressOptionsExtensions
{
    public static WebApplicationBuilder AddIngressOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngressOptions>()
            .BindConfiguration(IngressOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
