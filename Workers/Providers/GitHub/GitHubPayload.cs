using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Workers.Providers.GitHub;

// The parts of a GitHub `issues` / `issue_comment` webhook body the pipeline reads (docs: providers.md §2.1).

internal sealed class GitHubPayload
{
    public string? Action { get; set; }
    public GitHubIssue? Issue { get; set; }
    public GitHubComment? Comment { get; set; }
    public GitHubChanges? Changes { get; set; }
}

internal sealed class GitHubIssue
{
    public long? Id { get; set; }
    public string? Title { get; set; }
    public string? Body { get; set; }
    public string? State { get; set; }
    public string? UpdatedAt { get; set; }

    /// <summary>Present (an object) when the issue is a pull request; its shape does not matter here.</summary>
    public JsonElement? PullRequest { get; set; }
}

internal sealed class GitHubComment
{
    public long? Id { get; set; }
    public string? Body { get; set; }
    public string? CreatedAt { get; set; }
    public string? UpdatedAt { get; set; }
    public GitHubUser? User { get; set; }
}

internal sealed class GitHubUser
{
    public string? Login { get; set; }
}

internal sealed class GitHubChanges
{
    public GitHubChange? Title { get; set; }
    public GitHubChange? Body { get; set; }
}

internal sealed class GitHubChange
{
    public string? From { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GitHubPayload))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;
