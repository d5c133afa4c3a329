using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Workers.Changes;

/// <summary>
/// Text from senders on its way to PostgreSQL. Valid JSON may carry NUL (<c>\u0000</c>); PostgreSQL's text cannot
/// (SQLSTATE 22021), so one NUL in a comment would fail every attempt of its delivery as if the database were down.
/// NUL becomes U+FFFD, the replacement character, rather than nothing: the stored text still shows that something was
/// there, and two ids that differ only by a NUL stay two ids.
/// </summary>
public static class SenderText
{
    public const char NulReplacement = '\uFFFD';

    [return: NotNullIfNotNull(nameof(text))]
    public static string? Clean(string? text) => text is null || !text.Contains('\0') ? text : text.Replace('\0', NulReplacement);

    /// <summary>The change with every text it carries cleaned; the same instance when there was nothing to clean.</summary>
    public static NormalizedChange Clean(NormalizedChange change)
    {
        if (!Texts(change).Any(text => text is not null && text.Contains('\0')))
        {
            return change;
        }
        var cleaned = change with { ExternalItemId = Clean(change.ExternalItemId), SourceEventId = Clean(change.SourceEventId) };
        return cleaned switch
        {
            ItemCreated c => c with { Title = Clean(c.Title) },
            FieldChanged c => c with { Field = Clean(c.Field), OldValue = Clean(c.OldValue), NewValue = Clean(c.NewValue) },
            StatusChanged c => c with { OldStatus = Clean(c.OldStatus), NewStatus = Clean(c.NewStatus) },
            CommentAdded c => c with { CommentId = Clean(c.CommentId), Body = Clean(c.Body), Author = Clean(c.Author) },
            CommentEdited c => c with { CommentId = Clean(c.CommentId), Body = Clean(c.Body), Author = Clean(c.Author) },
            CommentDeleted c => c with { CommentId = Clean(c.CommentId) },
            ChangedInSender c => c with
            {
                Description = Clean(c.Description),
                Fetch = c.Fetch is null ? null : c.Fetch with
                {
                    Kind = Clean(c.Fetch.Kind), Id = Clean(c.Fetch.Id), ContainerId = Clean(c.Fetch.ContainerId), Field = Clean(c.Fetch.Field),
                },
            },
            _ => cleaned,
        };
    }

    private static IEnumerable<string?> Texts(NormalizedChange change)
    {
        yield return change.ExternalItemId;
        yield return change.SourceEventId;
        IEnumerable<string?> own = change switch
        {
            ItemCreated c => [c.Title],
            FieldChanged c => [c.Field, c.OldValue, c.NewValue],
            StatusChanged c => [c.OldStatus, c.NewStatus],
            CommentAdded c => [c.CommentId, c.Body, c.Author],
            CommentEdited c => [c.CommentId, c.Body, c.Author],
            CommentDeleted c => [c.CommentId],
            ChangedInSender c => [c.Description, c.Fetch?.Kind, c.Fetch?.Id, c.Fetch?.ContainerId, c.Fetch?.Field],
            _ => [],
        };
        foreach (var text in own)
        {
            yield return text;
        }
    }
}
