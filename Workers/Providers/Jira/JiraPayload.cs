using System.Text.Json.Serialization;

namespace Webhooks.Workers.Providers.Jira;

// The parts of a Jira Cloud webhook body the pipeline reads (docs: providers.md §1.1). Everything else is skipped.

internal sealed class JiraPayload
{
    public long? Timestamp { get; set; }
    public string? WebhookEvent { get; set; }

    [JsonPropertyName("issue_event_type_name")]
    public string? IssueEventTypeName { get; set; }

    public JiraIssue? Issue { get; set; }
    public JiraChangelog? Changelog { get; set; }
    public JiraComment? Comment { get; set; }
}

internal sealed class JiraIssue
{
    public string? Id { get; set; }
    public string? Key { get; set; }
    public JiraIssueFields? Fields { get; set; }
}

internal sealed class JiraIssueFields
{
    public string? Summary { get; set; }
    public string? Updated { get; set; }
}

internal sealed class JiraChangelog
{
    public string? Id { get; set; }
    public List<JiraChangelogItem>? Items { get; set; }
}

internal sealed class JiraChangelogItem
{
    public string? Field { get; set; }
    public string? FieldId { get; set; }
    public string? FromString { get; set; }

    [JsonPropertyName("toString")]
    public string? ToText { get; set; }
}

internal sealed class JiraComment
{
    public string? Id { get; set; }
    public string? Body { get; set; }
    public JiraUser? Author { get; set; }
    public JiraUser? UpdateAuthor { get; set; }
    public string? Created { get; set; }
    public string? Updated { get; set; }
}

internal sealed class JiraUser
{
    public string? DisplayName { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JiraPayload))]
internal sealed partial class JiraJsonContext : JsonSerializerContext;
