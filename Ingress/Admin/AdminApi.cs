using Microsoft.Extensions.Options;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// The admin API under <c>/api/v1/admin</c>: one endpoint group per resource, all behind the admin key.
/// Without a configured key the routes are not mapped at all, so an unconfigured replica exposes nothing.
/// </summary>
public static class AdminApi
{
    public const string Prefix = "/api/v1/admin";

    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        // Body-binding failures and other empty error answers become problem-details bodies.
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<AdminKeyAuthentication>();
        return builder;
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        // The OpenAPI document describes the API; it carries no data, so it needs no key.
        app.MapOpenApi();

        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<IngressOptions>>().Value.AdminKey))
        {
            return app;
        }

        var admin = app.MapGroup(Prefix)
            .AddEndpointFilter<AdminKeyAuthentication>()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        admin.MapAccountsApi();
        admin.MapUsersApi();
        admin.MapProductsApi();
        admin.MapIntegrationsApi();
        admin.MapDeliveriesApi();
        admin.MapRecordsApi();
        return app;
    }
}
