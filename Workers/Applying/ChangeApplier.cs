using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Applying;

/// <summary>
/// Applies changes to locked target records inside the caller's transaction (one per batch of deliveries), as the
/// run-as user. For each (record, change) the ledger row goes in first with <c>ON CONFLICT DO NOTHING</c>: under Read
/// Committed a concurrent insert of the same key waits for the other transaction, so two replicas can never both apply
/// it (masstransit.md §5.2). A key already taken is a duplicate and is skipped; otherwise the change is applied and
/// audited. One instance serves one batch (scoped with its DbContext); the caller saves and commits.
/// </summary>
public sealed class ChangeApplier(WebhooksDbContext db, TimeProvider clock)
{
    private readonly Dictionary<(Guid RecordId, Provider Provider, string ExternalId), Comment> _comments = [];

    /// <summary>
    /// Takes the ledger keys of a whole batch in one statement; returns, per entry, whether this batch took it.
    /// Within the batch the first entry of a key wins (the later ones are duplicates), which is the caller's order.
    /// </summary>
    public async Task<bool[]> TakeLedgerKeysAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var taken = new bool[entries.Count];
        var first = new Dictionary<(Guid, string), int>();
        for (var i = 0; i < entries.Count; i++)
        {
            first.TryAdd((entries[i].RecordId, entries[i].DedupKey), i);
        }
        if (first.Count == 0)
        {
            return taken;
        }

        // Sorted by key, so two batches that share keys take them in the same order.
        var candidates = first.Values.Select(i => entries[i]).OrderBy(e => e.RecordId).ThenBy(e => e.DedupKey, StringComparer.Ordinal).ToList();
        var recordIds = candidates.Select(e => e.RecordId).ToArray();
        var keys = candidates.Select(e => e.DedupKey).ToArray();
        var deliveryIds = candidates.Select(e => e.DeliveryId).ToArray();
        var now = clock.GetUtcNow();
        var inserted = await db.Database.SqlQuery<LedgerKey>($"""
            INSERT INTO applied_changes (record_id, dedup_key, delivery_id, applied_at)
            SELECT record_id, dedup_key, delivery_id, {now} FROM unnest({recordIds}, {keys}, {deliveryIds}) AS k(record_id, dedup_key, delivery_id)
            ON CONFLICT DO NOTHING
            RETURNING record_id AS "RecordId", dedup_key AS "DedupKey"
            """).ToListAsync(cancellationToken);
        foreach (var key in inserted)
        {
            taken[first[(key.RecordId, key.DedupKey)]] = true;
        }
        return taken;
    }

    /// <summary>Loads (and tracks) the existing comments these changes may touch, in one query.</summary>
    public async Task LoadCommentsAsync(IReadOnlyCollection<Guid> recordIds, IReadOnlyCollection<string> commentIds, CancellationToken cancellationToken)
    {
        if (recordIds.Count == 0 || commentIds.Count == 0)
        {
            return;
        }
        var records = recordIds.ToArray();
        var ids = commentIds.ToArray();
        var comments = await db.Comments
            .Where(c => records.Contains(c.RecordId) && c.SourceProvider != null && ids.Contains(c.SourceExternalId!))
            .ToListAsync(cancellationToken);
        foreach (var comment in comments)
        {
            _comments[(comment.RecordId, comment.SourceProvider!.Value, comment.SourceExternalId!)] = comment;
        }
    }

    /// <summary>The comment ids a change refers to, for <see cref="LoadCommentsAsync"/>.</summary>
    public static string? CommentIdOf(NormalizedChange change) => change switch
    {
        CommentAdded added => added.CommentId,
        CommentEdited edited => edited.CommentId,
        CommentDeleted deleted => deleted.CommentId,
        _ => null,
    };

    /// <summary>Applies one change whose ledger key this batch took; comments must have been loaded first.</summary>
    public void Apply(ApplyContext context, Record record, NormalizedChange change)
    {
        switch (change)
        {
            case CommentAdded added:
                UpsertComment(context, record, added.CommentId, added.Body, added.Author, added.SourceTimestamp, "comment_added");
                break;
            case CommentEdited edited:
                UpsertComment(context, record, edited.CommentId, edited.Body, edited.Author, edited.SourceTimestamp, "comment_edited");
                break;
            case CommentDeleted deleted:
                DeleteComment(context, record, deleted);
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

    private void UpsertComment(ApplyContext context, Record record, string commentId, string body, string? author, DateTimeOffset sourceAt, string action)
    {
        _comments.TryGetValue((record.Id, context.Provider, commentId), out var comment);
        var now = clock.GetUtcNow();
        if (comment is null)
        {
            // An edit that arrives before its creation (or for a comment older than the link) creates the comment.
            comment = new Comment
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
            };
            db.Comments.Add(comment);
            _comments[(record.Id, context.Provider, commentId)] = comment;
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

    private void DeleteComment(ApplyContext context, Record record, CommentDeleted deleted)
    {
        _comments.TryGetValue((record.Id, context.Provider, deleted.CommentId), out var comment);
        if (comment is null || comment.Deleted)
        {
            return;
        }
        Audit(context, record, "comment_deleted", comment.Body, null);
        comment.Deleted = true;
        comment.UpdatedAt = clock.GetUtcNow();
        Touch(context, record);
    }

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

/// <summary>One (record, change) of a batch, in the order the batch applies them.</summary>
public readonly record struct LedgerEntry(Guid RecordId, string DedupKey, Guid DeliveryId);

/// <summary>A ledger key this batch inserted.</summary>
public sealed record LedgerKey(Guid RecordId, string DedupKey);
