using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Jira;

/// <summary>
/// Jira Cloud admin webhooks (providers.md §1). Dedup keys (§1.5) are the same in every webhook's copy of an event:
/// comments <c>jira:comment:{comment.id}:{kind}:{comment.updated}</c> (keyed on the comment id, not the event name, because one
/// comment arrives both as <c>comment_created</c> and as <c>jira:issue_updated</c>/<c>issue_commented</c>), changelog items
/// <c>jira:changelog:{changelog.id}:{field}</c> (<c>…:{field}:{n}</c> for the n-th item of one field in the same change
/// group), create and delete <c>jira:{issue.id}:{webhookEvent}</c>.
/// Ordering: the top-level <c>timestamp</c> (epoch ms), or <c>issue.fields.updated</c> in a payload without one; for
/// comments <c>comment.updated</c>.
/// </summary>
public sealed partial class JiraPayloadParser : IPayloadParser
{
    public Provider Provider => Provider.Jira;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a Jira webhook: the body is empty.");
        }

        JiraPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body.Span, JiraJsonContext.Default.JiraPayload);
        }
        catch (JsonException e)
        {
            return ParseResult.Failed($"Not a Jira webhook: the body is not a JSON object of the expected shape ({e.Message}).");
        }

        if (payload is null)
        {
            return ParseResult.Failed("Not a Jira webhook: the body is JSON null.");
        }
        if (string.IsNullOrWhiteSpace(payload.WebhookEvent))
        {
            return ParseResult.Failed("Not a Jira webhook: there is no webhookEvent.");
        }

        var webhookEvent = payload.WebhookEvent;
        return webhookEvent switch
        {
            "jira:issue_created" or "jira:issue_updated" or "jira:issue_deleted"
                or "comment_created" or "comment_updated" or "comment_deleted" => ParseKnown(payload, webhookEvent),
            _ => ParseResult.Ignored($"Jira event '{webhookEvent}' is not one the workers apply."),
        };
    }

    private static ParseResult ParseKnown(JiraPayload payload, string webhookEvent)
    {
        if (string.IsNullOrWhiteSpace(payload.Issue?.Id))
        {
            return ParseResult.Failed($"Not a Jira webhook: '{webhookEvent}' has no issue.id.");
        }
        var issueId = payload.Issue.Id;
        // A comment event is ordered by the comment's own time; the webhook's timestamp is not needed for it.
        switch (webhookEvent)
        {
            case "comment_created":
                return Comment(payload, issueId, CommentKind.Created);
            case "comment_updated":
                return Comment(payload, issueId, CommentKind.Updated);
            case "comment_deleted":
                return Comment(payload, issueId, CommentKind.Deleted);
        }

        DateTimeOffset at;
        if (payload.Timestamp is { } epochMs)
        {
            if (epochMs is < MinEpochMilliseconds or > MaxEpochMilliseconds)
            {
                return ParseResult.Failed($"Not a Jira webhook: '{webhookEvent}' has a timestamp ({epochMs}) that is no time: Jira sends milliseconds since 1970.");
            }
            at = DateTimeOffset.FromUnixTimeMilliseconds(epochMs);
        }
        // Jira always sends the webhook's timestamp; a payload made by hand may carry only the issue's updated time.
        else if (!TryParseJiraTime(payload.Issue.Fields?.Updated, out at))
        {
            return ParseResult.Failed($"Not a Jira webhook: '{webhookEvent}' has no timestamp (nor an issue.fields.updated to order it by).");
        }

        return webhookEvent switch
        {
            "jira:issue_created" => ParseResult.Parsed([new ItemCreated(issueId, $"jira:{issueId}:{webhookEvent}", at, payload.Issue.Fields?.Summary)]),
            "jira:issue_deleted" => ParseResult.Parsed([new ItemDeleted(issueId, $"jira:{issueId}:{webhookEvent}", at)]),
            _ => IssueUpdated(payload, issueId, at),
        };
    }

    private static ParseResult IssueUpdated(JiraPayload payload, string issueId, DateTimeOffset at)
    {
        var changes = new List<NormalizedChange>();

        // The issue_commented family carries the comment itself (providers.md §1.5 "Trap"): same keys as comment_* events.
        if (payload.Comment is not null)
        {
            var kind = payload.IssueEventTypeName switch
            {
                "issue_comment_edited" => CommentKind.Updated,
                "issue_comment_deleted" => CommentKind.Deleted,
                _ => CommentKind.Created,
            };
            var comment = Comment(payload, issueId, kind);
            if (comment.Outcome != ParseOutcome.Parsed)
            {
                return comment;
            }
            changes.AddRange(comment.Changes);
        }

        if (payload.Changelog?.Items is { Count: > 0 } items)
        {
            if (string.IsNullOrWhiteSpace(payload.Changelog.Id))
            {
                return ParseResult.Failed("Not a Jira webhook: the changelog has items but no id.");
            }
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var field = (item?.FieldId ?? item?.Field)?.Trim();
                if (item is null || string.IsNullOrEmpty(field))
                {
                    return ParseResult.Failed($"Not a Jira webhook: changelog {payload.Changelog.Id} has an item without a field.");
                }
                // One change group can hold several items for one field (fixVersions: one removed, one added): each is
                // its own change. The first keeps the plain key; later ones add their place among that field's items.
                var occurrence = seen[field] = seen.GetValueOrDefault(field) + 1;
                var key = occurrence == 1 ? $"jira:changelog:{payload.Changelog.Id}:{field}" : $"jira:changelog:{payload.Changelog.Id}:{field}:{occurrence}";
                NormalizedChange change = field.ToLowerInvariant() switch
                {
                    "status" when !string.IsNullOrWhiteSpace(item.ToText) => new StatusChanged(issueId, key, at, item.FromString, item.ToText),
                    "status" => new FieldChanged(issueId, key, at, "status", item.FromString, item.ToText),
                    "summary" => new FieldChanged(issueId, key, at, RecordFields.Name, item.FromString, item.ToText),
                    "description" => new FieldChanged(issueId, key, at, RecordFields.Description, item.FromString, item.ToText),
                    _ => new FieldChanged(issueId, key, at, $"jira:{field}", item.FromString, item.ToText),
                };
                changes.Add(change);
            }
        }

        return changes.Count == 0
            ? ParseResult.Ignored("Jira issue update with neither changelog items nor a comment.")
            : ParseResult.Parsed(changes);
    }

    private static ParseResult Comment(JiraPayload payload, string issueId, CommentKind kind)
    {
        var comment = payload.Comment;
        if (comment is null || string.IsNullOrWhiteSpace(comment.Id))
        {
            return ParseResult.Failed($"Not a Jira webhook: '{payload.WebhookEvent}' has no comment.id.");
        }
        var updatedText = comment.Updated ?? comment.Created;
        if (!TryParseJiraTime(updatedText, out var updated))
        {
            return ParseResult.Failed($"Not a Jira webhook: comment {comment.Id} has no readable 'updated' time ('{updatedText}').");
        }

        var key = $"jira:comment:{comment.Id}:{kind.ToString().ToLowerInvariant()}:{updatedText}";
        var author = (kind == CommentKind.Created ? comment.Author : comment.UpdateAuthor ?? comment.Author)?.DisplayName;
        return kind switch
        {
            CommentKind.Created => ParseResult.Parsed([new CommentAdded(issueId, key, updated, comment.Id, comment.Body ?? "", author)]),
            CommentKind.Updated => ParseResult.Parsed([new CommentEdited(issueId, key, updated, comment.Id, comment.Body ?? "", author)]),
            _ => ParseResult.Parsed([new CommentDeleted(issueId, key, updated, comment.Id)]),
        };
    }

    /// <summary>Jira writes <c>2019-02-15T19:11:18.321-0800</c>: an offset without a colon, which .NET's parser wants.</summary>
    private static bool TryParseJiraTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var normalized = OffsetWithoutColon().Replace(text, "$1$2:$3");
        if (!DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out value))
        {
            return false;
        }
        // The same instant in UTC: PostgreSQL's timestamptz (through Npgsql) takes only offset 0.
        value = value.ToUniversalTime();
        return true;
    }

    [GeneratedRegex(@"([+-])(\d{2})(\d{2})$")]
    private static partial Regex OffsetWithoutColon();

    // DateTimeOffset's range (years 1 to 9999) in epoch milliseconds: outside it a timestamp names no time.
    private const long MinEpochMilliseconds = -62_135_596_800_000;
    private const long MaxEpochMilliseconds = 253_402_300_799_999;

    private enum CommentKind
    {
        Created,
        Updated,
        Deleted,
    }
}
