using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Persistence.Model;

/// <summary>What an integration's <c>settings</c> JSON may hold. Unknown keys are kept but ignored.</summary>
public sealed record IntegrationSettings
{
    /// <summary>External status name → record status. Inherited from the template integration; own entries win.</summary>
    public Dictionary<string, string> StatusMappings { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Salesforce: messages from any other organization are rejected.</summary>
    public string? OrganizationId { get; init; }

    /// <summary>Rally: <c>message.subscription_id</c> must match.</summary>
    public string? SubscriptionId { get; init; }

    /// <summary>Asana, Smartsheet: where and how to fetch what their events leave out.</summary>
    public string? ApiBaseUrl { get; init; }
    public string? ApiToken { get; init; }

    /// <summary>Smartsheet: the column whose value is the row's status (through statusMappings). Default <c>Status</c>.</summary>
    public string? StatusColumn { get; init; }

    /// <summary>Standard Webhooks: where a payload's item id and changes are (<see cref="PayloadMapping"/>). Kept raw: read when used.</summary>
    public JsonElement? Mapping { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IntegrationSettings Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new IntegrationSettings();
        }
        var parsed = JsonSerializer.Deserialize<IntegrationSettings>(json, JsonOptions) ?? new IntegrationSettings();
        return parsed with { StatusMappings = new Dictionary<string, string>(parsed.StatusMappings, StringComparer.OrdinalIgnoreCase) };
    }
}
