using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Endpoint filter on the admin group: <c>Authorization: Bearer &lt;Ingress:AdminKey&gt;</c> or 401.
/// Both sides are hashed before the constant-time compare, so neither the content nor the length of the key leaks
/// through timing. The key and the presented value are never logged.
/// </summary>
public sealed partial class AdminKeyAuthentication(IOptions<IngressOptions> options, ILogger<AdminKeyAuthentication> logger) : IEndpointFilter
{
    private const string Scheme = "Bearer ";

    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminKey ?? ""));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (IsAuthorized(http.Request.Headers.Authorization.ToString()))
        {
            return await next(context);
        }

        Log.Rejected(logger, http.Request.Method, http.Request.Path.Value ?? "", http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: "The admin API needs 'Authorization: Bearer <admin key>'.");
    }

    public bool IsAuthorized(string authorization)
    {
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var presented = authorization.AsSpan(Scheme.Length).Trim();
        if (presented.IsEmpty)
        {
            return false;
        }
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToString());
        SHA256.HashData(bytes, presentedHash);
        CryptographicOperations.ZeroMemory(bytes);
        return CryptographicOperations.FixedTimeEquals(presentedHash, _expectedHash);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Admin request {Method} {Path} from {RemoteAddress} refused: missing or wrong admin key")]
        public static partial void Rejected(ILogger logger, string method, string path, string remoteAddress);
    }
}
