namespace Webhooks.Ingress.Admin;

public static class AdminApi
{
    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        app.MapOpenApi();
        return app;
    }
}
