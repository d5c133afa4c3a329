using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Workers.Changes;

/// <summary>
/// Text from senders on its way to PostgreSQL. Valid JSON may carry NUL (<c>\u0000</c>); PostgreSQL's text cannot
/// (SQLSTATE 22021), so one NUL in a comment would fail every attempt of its delivery as if the database were down.
/// Half a surrogate pair is the same trap: no UTF-8 encodes it, so Npgsql refuses the whole statement (an XML reader's
/// error quotes a <c>&amp;#xD800;</c> it refused, and that error is the delivery's reason). Both become U+FFFD, the
/// replacement character, rather than nothing: the stored text still shows that something was there, two ids that
/// differ only there stay two ids, and the text keeps its length.
/// </summary>
public static class SenderText
{
    public const char NulReplacement = '\uFFFD';

    [return: NotNullIfNotNull(nameof(text))]
    public static string? Clean(string? text) => text is null || IsStorable(text) ? text : string.Create(text.Length, text, Replace);

    private static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    private static void Replace(Span<char> cleaned, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cleaned[i] = c;
                cleaned[i + 1] = text[i + 1];
                i++;
            }
            else
            {
                cleaned[i] = c == '\0' || char.IsSurrogate(c) ? NulReplacement : c;
            }
        }
    }

    /// <summary>The change with every text it carries cleaned; the same instance when there was nothing to clean.</summary>
    public static NormalizedChange Clean(NormalizedChange change)
    {
        if (Texts(change).All(text => text is null || IsStorable(text)))
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
            CommentRestored c => c with { CommentId = Clean(c.CommentId), Body = Clean(c.Body), Author = Clean(c.Author) },
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
            CommentRestored c => [c.CommentId, c.Body, c.Author],
            CommentDeleted c => [c.CommentId],
            ChangedInSender c => [c.Description, c.Fetch?.Kind, c.Fetch?.Id, c.Fetch?.ContainerId, c.Fetch?.Field],
            _ => [],
        };
        foreach (var text in own)
        {
            yield return text;
        }
    }

    /// <summary>Cut to a column's length, never between the two halves of a surrogate pair (Npgsql refuses half a pair).</summary>
    public static string Cut(string text, int length) =>
        text.Length <= length ? text : text[..(char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)];
}
