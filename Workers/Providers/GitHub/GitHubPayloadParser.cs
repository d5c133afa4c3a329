using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.GitHub;

/// <summary>
/// GitHub repository, organisation and App webhooks (providers.md §2): the event is the <c>X-GitHub-Event</c> header
/// (kept with the delivery) plus the body's <c>action</c>. The link's external id is the issue's numeric <c>id</c>, for
/// pull requests too (<c>issue_comment</c> on a pull request carries <c>issue.pull_request</c>).
/// <para>
/// Dedup keys are content identity (§2.5): issue changes <c>github:issue:{issue.id}:{action}:{issue.updated_at}</c>
/// (edits add the field and a hash of its new value, so two edits within one second are not taken for one), comments
/// <c>github:comment:{comment.id}:{action}:{comment.updated_at}</c> (edits add a hash of the body), deletions
/// <c>github:issue|comment:{id}:deleted</c> (GitHub sends no deletion time). Closes and reopens add the
/// <c>X-GitHub-Delivery</c> GUID: closed → reopened → closed within one second makes two closes whose content is the same
/// to the byte, and only that GUID, GitHub's id of the event (the same for every hook it is delivered to, and on a
/// redelivery; G-API <c>hook-delivery.guid</c>), tells the second from a copy of the first.
/// </para>
/// <para>
/// Ordering: <c>issue.updated_at</c> / <c>comment.updated_at</c>, which have 1-second resolution, so two events in one
/// second tie. The applier breaks a tie by when the ingress received each delivery (the later one wins), so the
/// outcome does not depend on the order workers happen to apply them in.
/// </para>
/// </summary>
public sealed class GitHubPayloadParser : IPayloadParser
{
    public const string EventHeader = "X-GitHub-Event";
    public const string DeliveryHeader = "X-GitHub-Delivery";

    /// <summary>The external statuses a status change names (the issue's <c>state</c>), mapped through statusMappings.</summary>
    public const string OpenStatus = "open";
    public const string ClosedStatus = "closed";

    public Provider Provider => Provider.GitHub;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        var eventName = FindHeader(headers, EventHeader);
        if (string.IsNullOrWhiteSpace(eventName))
        {
            return ParseResult.Failed($"Not a GitHub webhook: there is no {EventHeader} header.");
        }
        if (eventName == "ping")
        {
            // The ingress answers pings itself and never queues them; one that arrives anyway changes nothing.
            return ParseResult.Ignored("GitHub ping: answered by the ingress, nothing to apply.");
        }
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a GitHub webhook: the body is empty.");
        }

        GitHubPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(JsonBody(body.Span), GitHubJsonContext.Default.GitHubPayload);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a GitHub webhook: the body is not a JSON object of the expected shape ({e.Message}).");
        }
        if (payload is null)
        {
            return ParseResult.Failed("Not a GitHub webhook: the body is JSON null.");
        }

        var action = payload.Action;
        return (eventName, action) switch
        {
            ("issues", "opened" or "edited" or "closed" or "reopened" or "deleted") => Issue(payload, action, FindHeader(headers, DeliveryHeader)),
            ("issue_comment", "created" or "edited" or "deleted") => Comment(payload, action),
            ("issues" or "issue_comment", _) when string.IsNullOrWhiteSpace(action) =>
                ParseResult.Failed($"Not a GitHub webhook: '{eventName}' has no action."),
            _ => ParseResult.Ignored($"GitHub event '{eventName}'{(action is null ? "" : $" action '{action}'")} is not one the workers apply."),
        };
    }

    private static ParseResult Issue(GitHubPayload payload, string action, string? eventGuid)
    {
        if (!TryIssue(payload, action, out var issueId, out var updatedAt, out var updatedText, out var failure))
        {
            return failure;
        }
        var issue = payload.Issue!;
        var key = $"github:issue:{issueId}:{action}:{updatedText}";
        var stateKey = string.IsNullOrEmpty(eventGuid) ? key : $"{key}:{eventGuid}";
        switch (action)
        {
            case "opened":
                return ParseResult.Parsed([new ItemCreated(issueId, key, updatedAt, issue.Title)]);
            case "closed":
                return ParseResult.Parsed([new StatusChanged(issueId, stateKey, updatedAt, OpenStatus, ClosedStatus)]);
            case "reopened":
                return ParseResult.Parsed([new StatusChanged(issueId, stateKey, updatedAt, ClosedStatus, OpenStatus)]);
            case "deleted":
                return ParseResult.Parsed([new ItemDeleted(issueId, $"github:issue:{issueId}:deleted", updatedAt)]);
        }

        // edited: `changes` names what changed with its old value; the new value is the issue's. It may be {}.
        var changes = new List<NormalizedChange>();
        if (payload.Changes?.Title is { } title)
        {
            changes.Add(new FieldChanged(issueId, $"{key}:title:{Hash(issue.Title)}", updatedAt, RecordFields.Name, title.From, issue.Title));
        }
        if (payload.Changes?.Body is { } body)
        {
            changes.Add(new FieldChanged(issueId, $"{key}:body:{Hash(issue.Body)}", updatedAt, RecordFields.Description, body.From, issue.Body));
        }
        return changes.Count == 0
            ? ParseResult.Ignored($"GitHub issue {issueId} edited with neither a title nor a body change.")
            : ParseResult.Parsed(changes);
    }

    private static ParseResult Comment(GitHubPayload payload, string action)
    {
        if (!TryIssue(payload, action, out var issueId, out _, out _, out var failure))
        {
            return failure;
        }
        var comment = payload.Comment;
        if (comment?.Id is not { } id)
        {
            return ParseResult.Failed($"Not a GitHub webhook: issue_comment '{action}' has no comment.id.");
        }
        var commentId = id.ToString(CultureInfo.InvariantCulture);
        var updatedText = comment.UpdatedAt ?? comment.CreatedAt;
        if (!TryParseTime(updatedText, out var updatedAt))
        {
            return ParseResult.Failed($"Not a GitHub webhook: comment {commentId} has no readable updated_at ('{updatedText}').");
        }

        var author = comment.User?.Login;
        var key = $"github:comment:{commentId}:{action}:{updatedText}";
        return action switch
        {
            "created" => ParseResult.Parsed([new CommentAdded(issueId, key, updatedAt, commentId, comment.Body ?? "", author)]),
            "edited" => ParseResult.Parsed([new CommentEdited(issueId, $"{key}:{Hash(comment.Body)}", updatedAt, commentId, comment.Body ?? "", author)]),
            _ => ParseResult.Parsed([new CommentDeleted(issueId, $"github:comment:{commentId}:deleted", updatedAt, commentId)]),
        };
    }

    private static bool TryIssue(GitHubPayload payload, string action, out string issueId, out DateTimeOffset updatedAt, out string updatedText, out ParseResult failure)
    {
        issueId = "";
        updatedAt = default;
        updatedText = "";
        failure = ParseResult.Failed("");
        if (payload.Issue?.Id is not { } id)
        {
            failure = ParseResult.Failed($"Not a GitHub webhook: '{action}' has no issue.id.");
            return false;
        }
        issueId = id.ToString(CultureInfo.InvariantCulture);
        updatedText = payload.Issue.UpdatedAt ?? "";
        if (!TryParseTime(updatedText, out updatedAt))
        {
            failure = ParseResult.Failed($"Not a GitHub webhook: issue {issueId} has no readable updated_at ('{updatedText}').");
            return false;
        }
        return true;
    }

    private static string? FindHeader(IReadOnlyDictionary<string, string> headers, string name)
    {
        if (headers.TryGetValue(name, out var value))
        {
            return value.Trim();
        }
        return headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.Trim();
    }

    /// <summary>
    /// A webhook set to <c>application/x-www-form-urlencoded</c> sends the JSON in the form field <c>payload</c>
    /// (providers.md §2.1); anything else is taken as the JSON itself.
    /// </summary>
    private static ReadOnlySpan<byte> JsonBody(ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> prefix = "payload="u8;
        if (!body.StartsWith(prefix))
        {
            return body;
        }
        var form = Encoding.UTF8.GetString(body);
        var field = form.Split('&').First(part => part.StartsWith("payload=", StringComparison.Ordinal))["payload=".Length..];
        return Encoding.UTF8.GetBytes(Uri.UnescapeDataString(field.Replace('+', ' ')));
    }

    private static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            return false;
        }
        // PostgreSQL's timestamptz (through Npgsql) takes only offset 0.
        value = value.ToUniversalTime();
        return true;
    }

    /// <summary>A short content hash, the same in every webhook's copy, so two different edits in one second keep two keys.</summary>
    private static string Hash(string? text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text ?? "")))[..16];
}
