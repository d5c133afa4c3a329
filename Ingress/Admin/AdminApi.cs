using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Webhooks.Persistence;
using Webhooks.Persistence.Fetching;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// The admin API under <c>/api/v1/admin</c>: one endpoint group per resource, all behind the admin key.
/// Without a configured key the routes are not mapped at all, so an unconfigured replica exposes nothing.
/// </summary>
public static class AdminApi
{
    public const string Prefix = "/api/v1/admin";

    /// <summary>The admin API's own connection string (a role that may write everything); unset, it shares ConnectionStrings:Webhooks.</summary>
    public const string ConnectionStringName = "Admin";

    /// <summary>
    /// Setting <c>Ingress:AdminPort</c>: when set, the admin API answers only connections accepted on this local port
    /// (list it in <c>ASPNETCORE_URLS</c> bound to loopback or an internal interface); on any other port its paths are
    /// 404. The local port of the connection is checked, never the client's Host header.
    /// </summary>
    public const string AdminPortSetting = "Ingress:AdminPort";

    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        // The admin endpoints are the ingress's only DbContext users: the DbContext gets the admin role, while the
        // webhook path (directory, writer, relay, secret store) keeps the restricted role of ConnectionStrings:Webhooks.
        builder.UseDbContextConnection(ConnectionStringName);
        builder.Services.AddOpenApi(options => options.AddAdminKeySecurity());
        // The shape of every admin error answer, including the empty ones filled in by UseStatusCodePages below.
        builder.Services.AddProblemDetails();
        // settings.apiBaseUrl is checked against the same Fetching:AllowedBaseUrls as the workers read.
        builder.AddApiBaseUrlPolicy();
        // No default scheme: only the admin group asks for this one, so webhook requests never run it.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminKeyAuthentication>(AdminKeyAuthentication.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminKeyAuthentication.PolicyName, policy => policy
                .AddAuthenticationSchemes(AdminKeyAuthentication.SchemeName)
                .RequireAuthenticatedUser());
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

        if (app.Configuration.GetValue<int?>(AdminPortSetting) is { } adminPort)
        {
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments(Prefix) && context.Connection.LocalPort != adminPort,
                elsewhere => elsewhere.Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }));
        }

        // Minimal APIs answer a body that does not bind (not JSON, wrong types) with an empty 400; on the admin paths
        // every empty error answer becomes a problem-details body instead. The webhook endpoint is left as it is.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), admin => admin.UseStatusCodePages());

        var admin = app.MapGroup(Prefix)
            .RequireAuthorization(AdminKeyAuthentication.PolicyName)
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
