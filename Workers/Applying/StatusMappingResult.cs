namespace Webhooks.Workers.Applying;

/// <summary>The effective status mappings (sender status name → record status), or why there are none.</summary>
public sealed record StatusMappingResult(IReadOnlyDictionary<string, string> Mappings, string? Failure)
{
    public static StatusMappingResult Resolved(IReadOnlyDictionary<string, string> mappings) => new(mappings, null);

    public static StatusMappingResult Error(string reason) => new(new Dictionary<string, string>(), reason);
}
