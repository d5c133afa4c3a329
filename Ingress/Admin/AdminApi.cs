using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Fetching;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// The admin API under <c>/api/v1/admin</c>: one endpoint group per resource, all behind the admin key, and its OpenAPI
/// document at <c>/openapi/v1.json</c>, behind the same key. Without a configured key neither is mapped, so an
/// unconfigured replica exposes nothing.
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

    private const string OpenApiPrefix = "/openapi";

    public static WebApplicationBuilder AddAdminApi(this WebApplicationBuilder builder)
    {
        // The admin endpoints are the ingress's only DbContext users: the DbContext gets the admin role, while the
        // webhook path (directory, writer, relay, secret store) keeps the restricted role of ConnectionStrings:Webhooks.
        builder.UseDbContextConnection(ConnectionStringName);
        // A connection the pool kept across a PostgreSQL restart is retried on a new one, not surfaced as a 500.
        builder.Services.ConfigureDbContext<WebhooksDbContext>((services, options) => options.UseNpgsql(npgsql => npgsql.ExecutionStrategy(
            dependencies => new AdminExecutionStrategy(dependencies, services.GetRequiredKeyedService<NpgsqlDataSource>(PersistenceExtensions.DbContextDataSourceKey)))));
        builder.Services.AddOpenApi(options => options.AddAdminKeySecurity());
        // The shape of every admin error answer, including the empty ones filled in by UseStatusCodePages below.
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<AdminExceptionHandler>();
        // settings.apiBaseUrl is checked against the same Fetching:AllowedBaseUrls as the workers read.
        builder.AddApiBaseUrlPolicy();
        builder.AddDeadLetterAccess();
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
        // Without a key nothing is served: neither the admin routes nor the document that describes them.
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<IngressOptions>>().Value.AdminKey))
        {
            return app;
        }

        // The listener is checked before the key (and before the console's session): on any other port the admin paths answer the same empty 404 to no key,
        // a wrong key and the right one, so the public port is no oracle for the key.
        if (app.Configuration.GetValue<int?>(AdminPortSetting) is { } adminPort)
        {
            app.UseWhen(
                context => IsAdminListenerPath(context.Request.Path) && context.Connection.LocalPort != adminPort,
                elsewhere => elsewhere.Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }));
        }
        // Placed here, after the listener check (left implicit, the framework would put them first).
        app.UseAuthentication();
        app.UseAuthorization();

        app.UseWhen(context => IsAdminPath(context.Request.Path), admin =>
        {
            // Any exception is a problem answer with a trace id (503 when PostgreSQL is unreachable): AdminExceptionHandler.
            admin.UseExceptionHandler();
            // Minimal APIs answer a body that does not bind (not JSON, wrong types) with an empty 400; on the admin paths
            // every empty error answer becomes a problem-details body instead. The webhook endpoint is left as it is.
            admin.UseStatusCodePages();
            // After authentication: an unauthenticated caller never has its body read.
            admin.Use(NulCharacterCheck.InvokeAsync);
        });

        // The document describes every admin call: served where the admin API is, with its key.
        app.MapOpenApi().RequireAuthorization(AdminKeyAuthentication.PolicyName);

        var admin = app.MapGroup(Prefix)
            .RequireAuthorization(AdminKeyAuthentication.PolicyName)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        admin.MapAccountsApi();
        admin.MapUsersApi();
        admin.MapProductsApi();
        admin.MapIntegrationsApi();
        admin.MapDeliveriesApi();
        admin.MapDeliveryReplaysApi();
        admin.MapDeadLettersApi();
        admin.MapRecordsApi();
        return app;
    }

    private static bool IsAdminPath(PathString path) => path.StartsWithSegments(Prefix) || path.StartsWithSegments(OpenApiPrefix);

    /// <summary>What only the admin listener serves: the admin API, its document and the operations console.</summary>
    private static bool IsAdminListenerPath(PathString path) => IsAdminPath(path) || path.StartsWithSegments(Console.ConsoleExtensions.Prefix);
}
