using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Ingress.Limits;

namespace Webhooks.Ingress.Console;

/// <summary>
/// The operations console under <c>/console</c>: server-rendered Razor components (static rendering, no interactivity),
/// served where the admin API is and only with an admin key configured. <c>AdminApi</c>'s listener check covers
/// <c>/console</c> too, so with <c>Ingress:AdminPort</c> set it answers nothing on any other port. An operator signs in with
/// the admin key and gets a session cookie; every form carries an anti-forgery token.
/// </summary>
public static partial class ConsoleExtensions
{
    public const string Prefix = "/console";
    public const string SignInPath = Prefix + "/sign-in";
    public const string SignOutPath = Prefix + "/sign-out";
    public const string SchemeName = "Console";
    public const string PolicyName = "Console";
    public const string CookieName = "webhooks-console";
    public const string AntiforgeryCookieName = "webhooks-console-antiforgery";

    /// <summary>
    /// Nothing but this origin's stylesheet and the auto-refresh script (which fetches its own page again): no inline
    /// script or style, no frames, forms post only here. The console holds no content from elsewhere, so nothing else is
    /// ever needed.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'";

    /// <summary>A claim naming which admin key signed the session in: a session outlives no change of the key.</summary>
    private const string KeyClaim = "webhooks:admin-key";

    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>()
            .BindConfiguration(ConsoleOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Wrong keys at the sign-in and to the admin API count together, with these options.
        builder.Services.AddSingleton<WrongKeyThrottle>();
        builder.Services.AddSingleton<BrokerStatistics>();
        // No redirect is followed: the management credential goes to the configured URL only.
        builder.Services.AddHttpClient(BrokerStatistics.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = AntiforgeryCookieName;
            options.Cookie.Path = Prefix;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // The console's own headers say DENY (frame-ancestors 'none' as well).
            options.SuppressXFrameOptionsHeader = true;
        });
        builder.Services.AddAuthentication()
            .AddCookie(SchemeName, cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.Path = Prefix;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = SignInPath;
                cookie.LogoutPath = SignOutPath;
                cookie.AccessDeniedPath = SignInPath;
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.SlidingExpiration = false;
                cookie.Events.OnValidatePrincipal = RejectSessionsOfAnotherKey;
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(SchemeName)
            .Configure<IOptions<ConsoleOptions>>((cookie, console) => cookie.ExpireTimeSpan = console.Value.SessionLifetime);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.AddAuthenticationSchemes(SchemeName).RequireAuthenticatedUser());
        return builder;
    }

    /// <summary>Called after <c>MapAdminApi</c>, whose listener check and authentication come first.</summary>
    public static WebApplication MapConsole(this WebApplication app)
    {
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<IngressOptions>>().Value.AdminKey))
        {
            return app;
        }

        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), console =>
        {
            console.Use(AddSecurityHeaders);
            // Not UseExceptionHandler: it would hand the exception to the admin API's problem+json handler first.
            console.Use(ShowErrorPageAsync);
        });
        // After authentication: the token is bound to the signed-in session. Only endpoints that ask for validation
        // (the console's forms) are checked, so webhooks of any content type pass untouched.
        app.UseAntiforgery();

        var assets = app.MapGroup(Prefix).AllowAnonymous();
        assets.MapGet("/console.css", () => ConsoleAssets.Stylesheet).ExcludeFromDescription();
        assets.MapGet("/console.js", () => ConsoleAssets.Script).ExcludeFromDescription();
        app.MapPost(SignOutPath, SignOutAsync).ExcludeFromDescription().RequireAuthorization(PolicyName);
        app.MapRazorComponents<ConsoleApp>().RequireAuthorization(PolicyName);
        return app;
    }

    /// <summary>Signs the operator in: the session cookie carries which key it was made with, and when it ends.</summary>
    public static async Task SignInAsync(HttpContext context, string adminKey, TimeProvider clock, ConsoleOptions options)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(KeyClaim, KeyFingerprint(adminKey))], SchemeName);
        var now = clock.GetUtcNow();
        // Not persistent: the cookie has no expiry of its own and ends with the browser; the ticket inside ends at ExpiresUtc.
        await context.SignInAsync(SchemeName, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now, ExpiresUtc = now + options.SessionLifetime, AllowRefresh = false });
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.BadRequest();
        }
        await context.SignOutAsync(SchemeName);
        return Results.Redirect(SignInPath + "?signedOut=1");
    }

    private static async Task RejectSessionsOfAnotherKey(CookieValidatePrincipalContext context)
    {
        var key = context.HttpContext.RequestServices.GetRequiredService<IOptions<IngressOptions>>().Value.AdminKey;
        var signedWith = context.Principal?.FindFirst(KeyClaim)?.Value;
        if (string.IsNullOrEmpty(key) || signedWith is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signedWith), Encoding.ASCII.GetBytes(KeyFingerprint(key))))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
        }
    }

    /// <summary>A keyed hash, not the key: the cookie is encrypted anyway, and this names the key without carrying it.</summary>
    private static string KeyFingerprint(string adminKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(adminKey), "webhooks console session"u8))[..32];

    private static Task AddSecurityHeaders(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // Pages show tokens once (a rotation) and delivery bodies: nothing is kept by a browser or a proxy.
            headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next();
    }

    private static async Task ShowErrorPageAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception error) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            ConsoleLog.PageFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleExtensions).FullName!),
                error, context.Request.Method, context.Request.Path.Value ?? "");
            context.Response.Clear();
            await WriteErrorPageAsync(context, error);
        }
    }

    private static async Task WriteErrorPageAsync(HttpContext context, Exception? error)
    {
        var unavailable = error is NpgsqlException or TimeoutException || error?.InnerException is NpgsqlException;
        context.Response.StatusCode = unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
        context.Response.ContentType = "text/html; charset=utf-8";
        var traceId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        var what = unavailable ? "PostgreSQL is unreachable; the page shows again once it answers." : "Something failed while making this page.";
        await context.Response.WriteAsync(
            $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="{Prefix}/console.css"><title>Webhooks console: error</title></head>
            <body><main><h1>{(unavailable ? "Unavailable" : "Error")}</h1><p>{what}</p><p class="muted">Trace id {traceId}</p>
            <p><a href="{Prefix}">Overview</a></p></main></body></html>
            """);
    }
}
