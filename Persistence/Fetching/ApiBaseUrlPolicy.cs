using Microsoft.Extensions.Options;
using Webhooks.Contracts;

namespace Webhooks.Persistence.Fetching;

/// <summary>
/// Which <c>settings.apiBaseUrl</c> an integration may name: its provider's official API over https, or a URL starting
/// with one of <see cref="ApiBaseUrlOptions.AllowedBaseUrls"/>. Anything else would let whoever edits an integration make
/// the workers send its API token, and read answers, wherever they like (the internal network included). The admin
/// API refuses such a URL and the workers never call one, so both programs read the same setting through this type.
/// </summary>
public sealed class ApiBaseUrlPolicy
{
    // developers.asana.com "API reference": one host. developers.smartsheet.com "Base URL": one host per product
    // (Smartsheet, Smartsheet Gov, Smartsheet Regions Europe and Australia), all under /2.0.
    private static readonly Dictionary<Provider, string[]> Official = new()
    {
        [Provider.Asana] = ["https://app.asana.com/api/1.0"],
        [Provider.Smartsheet] =
        [
            "https://api.smartsheet.com/2.0",
            "https://api.smartsheetgov.com/2.0",
            "https://api.smartsheet.eu/2.0",
            "https://api.smartsheet.au/2.0",
        ],
    };

    private readonly IReadOnlyList<string> _allowedPrefixes;

    public ApiBaseUrlPolicy(IOptions<ApiBaseUrlOptions> options) => _allowedPrefixes = ApiBaseUrlOptions.Prefixes(options.Value.AllowedBaseUrls);

    /// <summary>The official API base URLs of <paramref name="provider"/>; empty for a provider the workers never call.</summary>
    public static IReadOnlyList<string> OfficialBaseUrls(Provider provider) => Official.TryGetValue(provider, out var urls) ? urls : [];

    /// <summary>
    /// The URL to call when <paramref name="value"/> is allowed for <paramref name="provider"/>; otherwise null and a
    /// reason that names <c>settings.apiBaseUrl</c> and what would be accepted (never the refused value itself).
    /// </summary>
    public Uri? Check(Provider provider, string? value, out string? reason)
    {
        var official = OfficialBaseUrls(provider);
        if (official.Count == 0)
        {
            reason = $"settings.apiBaseUrl: the workers call no {provider.ToWireName()} API; remove it.";
            return null;
        }
        reason = $"settings.apiBaseUrl must be {string.Join(" or ", official)}"
            + (_allowedPrefixes.Count == 0 ? "." : $", or start with one of Fetching:AllowedBaseUrls ({string.Join(", ", _allowedPrefixes)}).");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url)
            || url.Scheme is not ("https" or "http")
            || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0 || url.Host.Length == 0)
        {
            return null;
        }
        // Compared in the URL's canonical form, so percent-encoding, a default port or letter case change nothing.
        var canonical = url.GetLeftPart(UriPartial.Path).TrimEnd('/');
        if (official.Any(o => string.Equals(canonical, o, StringComparison.OrdinalIgnoreCase))
            || _allowedPrefixes.Any(p => url.AbsoluteUri.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            reason = null;
            return url;
        }
        return null;
    }
}

/// <summary>
/// Section <c>Fetching</c>, the part the ingress's admin API and the workers both read. Environment form:
/// <c>Fetching__AllowedBaseUrls=http://127.0.0.1:,https://asana-mirror.example.internal/</c>.
/// </summary>
public sealed class ApiBaseUrlOptions
{
    public const string SectionName = "Fetching";

    /// <summary>
    /// Comma-separated URL prefixes allowed as <c>settings.apiBaseUrl</c> besides the official APIs: tests and
    /// self-hosted mirrors. A prefix should end where the host or path does (<c>:</c> or <c>/</c>): <c>https://mirror</c>
    /// would also allow <c>https://mirror.attacker.example</c>. Empty: the official APIs only.
    /// </summary>
    public string? AllowedBaseUrls { get; set; }

    public static IReadOnlyList<string> Prefixes(string? allowed) =>
        (allowed ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Why a prefix cannot be used, or null: it must be http(s) with a host, and no user info, query or fragment.</summary>
    public static string? Problem(string prefix)
    {
        var rest = prefix.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? prefix[8..]
            : prefix.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? prefix[7..]
            : null;
        if (rest is null || rest.Length == 0 || rest[0] is '/' or ':' || rest.IndexOfAny(['@', '?', '#', '\\', ' ']) >= 0)
        {
            return $"{SectionName}:AllowedBaseUrls: '{prefix}' is not an http(s) URL prefix with a host (e.g. http://127.0.0.1: or https://mirror.example/).";
        }
        return null;
    }
}

internal sealed class ApiBaseUrlOptionsValidator : IValidateOptions<ApiBaseUrlOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiBaseUrlOptions options)
    {
        var problems = ApiBaseUrlOptions.Prefixes(options.AllowedBaseUrls).Select(ApiBaseUrlOptions.Problem).OfType<string>().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
