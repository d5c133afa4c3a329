using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Webhooks.Ingress.Limits;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// <c>Authorization: Bearer &lt;Ingress:AdminKey&gt;</c> or 401. An authentication handler rather than an endpoint filter:
/// it runs before the request body is bound, so an unauthenticated caller never gets a body read or a 400 that
/// describes the API. Both sides are hashed before the constant-time compare, so neither the content nor the length
/// of the key leaks through timing. Neither the key nor the presented value is ever logged. Wrong keys count per client
/// address with the console's sign-ins (<see cref="WrongKeyThrottle"/>): past the limit the address's wrong keys get 429
/// until its window ends; the right key always passes.
/// </summary>
public sealed partial class AdminKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    IOptions<IngressOptions> ingress,
    WrongKeyThrottle throttle) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "AdminKey";
    public const string PolicyName = "AdminKey";

    private const string Bearer = "Bearer ";
    private const string BlockedUntilItem = "webhooks:admin-key-blocked-until";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var address = Context.Connection.RemoteIpAddress;
        var right = IsAdminKey(authorization, ingress.Value.AdminKey);
        if (throttle.Attempt(address, right) is { } until)
        {
            Context.Items[BlockedUntilItem] = until;
            return Task.FromResult(AuthenticateResult.Fail("Too many wrong admin keys from this address."));
        }
        if (!right)
        {
            return Task.FromResult(AuthenticateResult.Fail("The admin key does not match."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[BlockedUntilItem] is DateTimeOffset until)
        {
            Log.Throttled(Logger, Request.Method, Request.Path.Value ?? "", Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            Response.Headers.RetryAfter = throttle.RetryAfterSeconds(until);
            await TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many wrong admin keys",
                detail: $"Too many wrong admin keys from this address: its wrong keys are refused until {until.UtcDateTime:HH:mm:ss} UTC.")
                .ExecuteAsync(Context);
            return;
        }
        Log.Rejected(Logger, Request.Method, Request.Path.Value ?? "", Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: "The admin API needs 'Authorization: Bearer <admin key>'.").ExecuteAsync(Context);
    }

    public static bool IsAdminKey(string authorization, string? adminKey)
    {
        if (string.IsNullOrEmpty(adminKey) || !authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var presented = authorization.AsSpan(Bearer.Length).Trim();
        if (presented.IsEmpty)
        {
            return false;
        }
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> expectedHash = stackalloc byte[SHA256.HashSizeInBytes];
        var presentedBytes = Encoding.UTF8.GetBytes(presented.ToString());
        var expectedBytes = Encoding.UTF8.GetBytes(adminKey);
        SHA256.HashData(presentedBytes, presentedHash);
        SHA256.HashData(expectedBytes, expectedHash);
        CryptographicOperations.ZeroMemory(presentedBytes);
        CryptographicOperations.ZeroMemory(expectedBytes);
        return CryptographicOperations.FixedTimeEquals(presentedHash, expectedHash);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Admin request {Method} {Path} from {RemoteAddress} refused: missing or wrong admin key")]
        public static partial void Rejected(ILogger logger, string method, string path, string remoteAddress);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Admin request {Method} {Path} from {RemoteAddress} refused: too many wrong admin keys from that address")]
        public static partial void Throttled(ILogger logger, string method, string path, string remoteAddress);
    }
}
