using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Contracts;

/// <summary>The one place a provider's wire name is made and read.</summary>
public static class ProviderNames
{
    public static IReadOnlyList<Provider> All { get; } = Enum.GetValues<Provider>();

    /// <summary>Every provider's wire name, comma-separated: what an error about an unknown provider lists.</summary>
    public static string Known { get; } = string.Join(", ", All.Select(p => p.ToWireName()));

    public static string ToWireName(this Provider provider) => provider switch
    {
        Provider.Jira => "jira",
        Provider.GitHub => "github",
        Provider.Rally => "rally",
        Provider.Asana => "asana",
        Provider.Salesforce => "salesforce",
        Provider.Smartsheet => "smartsheet",
        Provider.Trello => "trello",
        Provider.Standard => "standard",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    public static bool TryParse(string? name, [NotNullWhen(true)] out Provider? provider)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWireName(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                provider = candidate;
                return true;
            }
        }
        provider = null;
        return false;
    }
}
