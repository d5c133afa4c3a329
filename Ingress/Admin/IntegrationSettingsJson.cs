using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Contracts;
using Webhooks.Persistence.Fetching;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// The <c>settings</c> JSON as the admin API takes and shows it. <c>apiToken</c> is write-only: it is never shown,
/// and a settings object that leaves it out keeps the stored one (an explicit <c>null</c> clears it). A new apiToken is
/// stored encrypted (<see cref="SecretProtector"/>); the workers decrypt it with the same key ring. <c>apiBaseUrl</c> must
/// be the provider's official API or an allowed prefix (<see cref="ApiBaseUrlPolicy"/>), and changing it needs a new
/// apiToken in the same request: otherwise the stored token would be sent to the new URL.
/// </summary>
public static class IntegrationSettingsJson
{
    private const string ApiTokenName = "apiToken";
    private const string MappingName = "mapping";

    /// <summary>
    /// Checks and normalises incoming settings; null with the field at fault (<c>settings</c>, <c>settings.apiBaseUrl</c>)
    /// and an error message when they are not acceptable.
    /// </summary>
    public static (string? Json, string Field, string? Error) Normalize(
        JsonElement settings, string? current, Provider provider, SecretProtector secrets, ApiBaseUrlPolicy baseUrls)
    {
        var (json, error) = Normalize(settings, current, secrets);
        if (json is null)
        {
            return (null, "settings", error);
        }
        var given = IntegrationSettings.Parse(json);
        if (string.IsNullOrEmpty(given.ApiBaseUrl))
        {
            return (json, "settings", null);
        }
        if (baseUrls.Check(provider, given.ApiBaseUrl, out var refused) is null)
        {
            return (null, ApiBaseUrlField, refused);
        }
        var stored = current is null ? null : SafeParse(current);
        if (!string.IsNullOrEmpty(stored?.ApiToken) && FindApiToken(JsonNode.Parse(settings.GetRawText())!.AsObject()) is null
            && !string.Equals(stored.ApiBaseUrl?.TrimEnd('/'), given.ApiBaseUrl.TrimEnd('/'), StringComparison.Ordinal))
        {
            return (null, ApiBaseUrlField,
                "settings.apiBaseUrl can only change together with a new settings.apiToken: the stored token is never sent to another URL.");
        }
        return (json, "settings", null);
    }

    private const string ApiBaseUrlField = "settings.apiBaseUrl";

    private static (string? Json, string? Error) Normalize(JsonElement settings, string? current, SecretProtector secrets)
    {
        if (settings.ValueKind != JsonValueKind.Object)
        {
            return (null, "The settings must be a JSON object.");
        }
        var node = JsonNode.Parse(settings.GetRawText())!.AsObject();
        if (node.TryGetPropertyValue("statusMappings", out var mappings) && mappings is not null)
        {
            if (mappings is not JsonObject mappingObject)
            {
                return (null, "settings.statusMappings must be an object of external status name → record status.");
            }
            foreach (var (name, value) in mappingObject)
            {
                if (value is null || value.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetValue<string>()))
                {
                    return (null, $"settings.statusMappings['{name}'] must be a non-empty string.");
                }
                if (value.GetValue<string>().Length > Record.MaxStatusLength)
                {
                    // The record's status column: a longer one failed every delivery it mapped, as if PostgreSQL were down.
                    return (null, $"settings.statusMappings['{name}'] is at most {Record.MaxStatusLength} characters (a record's status).");
                }
            }
        }

        // Standard Webhooks' payload mapping, read exactly as the workers will read it.
        foreach (var mapping in settings.EnumerateObject().Where(p => string.Equals(p.Name, MappingName, StringComparison.OrdinalIgnoreCase)))
        {
            if (mapping.Value.ValueKind != JsonValueKind.Null && !PayloadMapping.TryRead(mapping.Value, out _, out var mappingError))
            {
                return (null, mappingError);
            }
        }

        if (FindApiToken(node) is null && current is not null && JsonNode.Parse(current) is JsonObject stored && FindApiToken(stored) is { } storedName)
        {
            node[ApiTokenName] = stored[storedName]?.DeepClone();
        }
        else if (FindApiToken(node) is { } name && node[name] is null)
        {
            node.Remove(name);
        }
        else if (FindApiToken(node) is { } given && node[given] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            node.Remove(given);
            node[ApiTokenName] = secrets.Protect(value.GetValue<string>());
        }

        var json = node.ToJsonString();
        try
        {
            IntegrationSettings.Parse(json);
        }
        catch (JsonException e)
        {
            return (null, $"The settings do not fit the integration settings: {e.Message}");
        }
        return (json, null);
    }

    /// <summary>The stored settings without the API token, for answers.</summary>
    public static JsonElement Shown(string settings)
    {
        var node = (string.IsNullOrWhiteSpace(settings) ? null : JsonNode.Parse(settings)) as JsonObject ?? [];
        if (FindApiToken(node) is { } name)
        {
            node.Remove(name);
        }
        return JsonSerializer.SerializeToElement(node);
    }

    public static bool HasApiToken(string settings) =>
        !string.IsNullOrEmpty(SafeParse(settings)?.ApiToken);

    private static IntegrationSettings? SafeParse(string settings)
    {
        try
        {
            return IntegrationSettings.Parse(settings);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? FindApiToken(JsonObject node) =>
        node.Select(pair => pair.Key).FirstOrDefault(key => string.Equals(key, ApiTokenName, StringComparison.OrdinalIgnoreCase));
}
