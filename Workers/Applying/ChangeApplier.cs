using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Applying;

/// <summary>
/// Applies changes to target records inside the caller's transaction (one per delivery), as the run-as user.
/// For each (record, change) the ledger row goes in first with <c>ON CONFLICT DO NOTHING</c>: under Read Committed a
/// concurrent insert of the same key waits for the other transaction, so two replicas can never both apply it
/// (masstransit.md §5.2). A conflict is a duplicate and is skipped; otherwise the change is applied and audited.
/// The caller saves and commits.
/// </summary>
public sealed class ChangeApplier(WebhooksDbContext db, TimeProvider clock)
{
    public async Task<ApplyCounts> ApplyAsync(ApplyContext context, IReadOnlyList<Record> targets, IReadOnlyList<NormalizedChange> changes, CancellationToken cancellationToken)
    {
        var counts = new ApplyCounts();
        foreach (var record in targets)
        {
            foreach (var change in changes)
            {
                if (!await TryTakeLedgerKeyAsync(record, change, context, cancellationToken))
                {
                    counts += new ApplyCounts(0, 1);
                    continue;
                }
                await ApplyOneAsync(context, record, change, cancellationToken);
                counts += new ApplyCounts(1, 0);
            }
        }
        return counts;
    }

    private async Task<bool> TryTakeLedgerKeyAsync(Record record, NormalizedChange change, ApplyContext context, CancellationToken cancellationToken)
    {
        var key = DedupKey.For(change);
        var now = clock.GetUtcNow();
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO applied_changes (record_id, dedup_key, delivery_id, applied_at) VALUES ({record.Id}, {key}, {context.DeliveryId}, {now}) ON CONFLICT DO NOTHING",
            cancellationToken);
        return inserted == 1;
    }

    private async Task ApplyOneAsync(ApplyContext context, Record record, NormalizedChange change, CancellationToken cancellationToken)
    {
        switch (change)
        {
            case CommentAdded added:
                await UpsertCommentAsync(context, record, added.CommentId, added.Body, added.Author, added.SourceTimestamp, "comment_added", cancellationToken);
                break;
            case CommentEdited edited:
                await UpsertCommentAsync(context, record, edited.CommentId, edited.Body, edited.Author, edited.SourceTimestamp, "comment_edited", cancellationToken);
                break;
            case CommentDeleted deleted:
                await DeleteCommentAsync(context, record, deleted, cancellationToken);
                break;
            case StatusChanged status:
                var mapped = context.StatusMappings[status.NewStatus];
                if (IsNewer(status.SourceTimestamp, record.StatusSourceAt) && record.Status != mapped)
                {
                    Audit(context, record, "status_changed", record.Status, mapped);
                    record.Status = mapped;
                    Touch(context, record);
                }
                record.StatusSourceAt = Latest(record.StatusSourceAt, status.SourceTimestamp);
                break;
            case FieldChanged { Field: RecordFields.Name } name:
                if (IsNewer(name.SourceTimestamp, record.NameSourceAt) && name.NewValue is { } newName && record.Name != newName)
                {
                    Audit(context, record, "name_changed", record.Name, newName);
                    record.Name = newName;
                    Touch(context, record);
                }
                record.NameSourceAt = Latest(record.NameSourceAt, name.SourceTimestamp);
                break;
            case FieldChanged { Field: RecordFields.Description } description:
                if (IsNewer(description.SourceTimestamp, record.DescriptionSourceAt) && record.Description != description.NewValue)
                {
                    Audit(context, record, "description_changed", record.Description, description.NewValue);
                    record.Description = description.NewValue;
                    Touch(context, record);
                }
                record.DescriptionSourceAt = Latest(record.DescriptionSourceAt, description.SourceTimestamp);
                break;
            case FieldChanged other:
                // Fields the record has no column for are kept in its history only.
                Audit(context, record, Truncate($"field_changed:{other.Field}", 60), other.OldValue, other.NewValue);
                break;
            case ItemCreated created:
                Audit(context, record, "item_created", null, created.Title);
                break;
            case ChangedInSender changed:
                Audit(context, record, Truncate($"changed_in_{context.Provider.ToWireName()}", 60), null, changed.Description);
                break;
            case ItemDeleted:
                // The record stays: deleting product data because a linked item went away is a person's decision.
                Audit(context, record, "item_deleted", null, null);
                break;
            default:
                throw new InvalidOperationException($"No apply rule for {change.GetType().Name}.");
        }
    }

    private async Task UpsertCommentAsync(ApplyContext context, Record record, string commentId, string body, string? author, DateTimeOffset sourceAt, string action, CancellationToken cancellationToken)
    {
        var comment = await FindCommentAsync(context, record, commentId, cancellationToken);
        var now = clock.GetUtcNow();
        if (comment is null)
        {
            // An edit that arrives before its creation (or for a comment older than the link) creates the comment.
            db.Comments.Add(new Comment
            {
                Id = Guid.CreateVersion7(),
                RecordId = record.Id,
                Body = body,
                AuthorUserId = context.RunAsUserId,
                SourceProvider = context.Provider,
                SourceExternalId = commentId,
                SourceAuthor = author,
                SourceUpdatedAt = sourceAt,
                CreatedAt = now,
                UpdatedAt = now,
            });
            Audit(context, record, action, null, body);
            Touch(context, record);
            return;
        }

        if (comment.Deleted || !IsNewer(sourceAt, comment.SourceUpdatedAt))
        {
            return;
        }
        if (comment.Body != body)
        {
            Audit(context, record, "comment_edited", comment.Body, body);
            comment.Body = body;
            comment.AuthorUserId = context.RunAsUserId;
            comment.UpdatedAt = now;
            Touch(context, record);
        }
        comment.SourceAuthor = author ?? comment.SourceAuthor;
        comment.SourceUpdatedAt = sourceAt;
    }

    private async Task DeleteCommentAsync(ApplyContext context, Record record, CommentDeleted deleted, CancellationToken cancellationToken)
    {
        var comment = await FindCommentAsync(context, record, deleted.CommentId, cancellationToken);
        if (comment is null || comment.Deleted)
        {
            return;
        }
        Audit(context, record, "comment_deleted", comment.Body, null);
        comment.Deleted = true;
        comment.UpdatedAt = clock.GetUtcNow();
        Touch(context, record);
    }

    private async Task<Comment?> FindCommentAsync(ApplyContext context, Record record, string commentId, CancellationToken cancellationToken) =>
        db.Comments.Local.FirstOrDefault(c => c.RecordId == record.Id && c.SourceProvider == context.Provider && c.SourceExternalId == commentId)
        ?? await db.Comments.SingleOrDefaultAsync(
            c => c.RecordId == record.Id && c.SourceProvider == context.Provider && c.SourceExternalId == commentId, cancellationToken);

    private void Audit(ApplyContext context, Record record, string action, string? before, string? after) =>
        db.AuditEntries.Add(new AuditEntry
        {
            RecordId = record.Id,
            UserId = context.RunAsUserId,
            Action = action,
            Before = before,
            After = after,
            At = clock.GetUtcNow(),
            DeliveryId = context.DeliveryId,
            IntegrationId = context.IntegrationId,
        });

    private void Touch(ApplyContext context, Record record)
    {
        record.UpdatedByUserId = context.RunAsUserId;
        record.UpdatedAt = clock.GetUtcNow();
    }

    /// <summary>Last writer wins by the source's time: an event older than the value's source time never overwrites it.</summary>
    private static bool IsNewer(DateTimeOffset sourceAt, DateTimeOffset? current) => current is null || sourceAt >= current;

    private static DateTimeOffset Latest(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } value && value > candidate ? value : candidate;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
