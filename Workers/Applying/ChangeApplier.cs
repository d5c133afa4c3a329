using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
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
/// audited. One instance serves one batch (scoped with its DbContext). Records and comments are read untracked and the
/// batch's writes go out in one round trip (<see cref="SaveAsync"/>): EF Core's change tracking was the largest part of
/// a batch's CPU. The caller commits.
/// </summary>
public sealed class ChangeApplier(WebhooksDbContext db, TimeProvider clock)
{
    private readonly Dictionary<(Guid RecordId, Provider Provider, string ExternalId), Comment> _comments = [];
    private readonly List<Comment> _newComments = [];
    private readonly HashSet<Comment> _changedComments = [];
    private readonly HashSet<Record> _changedRecords = [];
    private readonly List<AuditEntry> _audit = [];

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

    /// <summary>
    /// Loads the existing comments these changes touch, in one query: one index lookup per (record, provider, comment
    /// id), all three columns of the unique index. Records and ids given as two lists made PostgreSQL look up every
    /// combination, or read every comment of those records, which grew with the table (a fifth of its CPU per delivery).
    /// </summary>
    public async Task LoadCommentsAsync(IReadOnlyCollection<(Guid RecordId, Provider Provider, string CommentId)> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }
        var distinct = keys.Distinct().ToList();
        var records = distinct.Select(k => k.RecordId).ToArray();
        var providers = distinct.Select(k => k.Provider.ToWireName()).ToArray();
        var ids = distinct.Select(k => k.CommentId).ToArray();
        var comments = await db.Comments.FromSql($"""
                SELECT c.* FROM unnest({records}, {providers}, {ids}) AS k(record_id, source_provider, source_external_id)
                JOIN comments c ON c.record_id = k.record_id AND c.source_provider = k.source_provider
                                AND c.source_external_id = k.source_external_id
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        foreach (var comment in comments)
        {
            _comments[(comment.RecordId, comment.SourceProvider!.Value, comment.SourceExternalId!)] = comment;
        }
    }

    /// <summary>The comment ids a change refers to, as stored, for <see cref="LoadCommentsAsync"/>.</summary>
    public static string? CommentIdOf(NormalizedChange change) => change switch
    {
        CommentAdded added => StoredCommentId(added.CommentId),
        CommentEdited edited => StoredCommentId(edited.CommentId),
        CommentRestored restored => StoredCommentId(restored.CommentId),
        CommentDeleted deleted => StoredCommentId(deleted.CommentId),
        _ => null,
    };

    /// <summary>
    /// A sender's comment id as the comments table keeps it: a longer one is shortened the way ledger keys are (a
    /// prefix and a hash of the whole id), so it still names one comment instead of failing every attempt (22001).
    /// </summary>
    private static string StoredCommentId(string commentId) => UniqueText.Fit(commentId, MaxCommentIdLength);

    /// <summary>Applies one change whose ledger key this batch took; comments must have been loaded first.</summary>
    public void Apply(ApplyContext context, Record record, NormalizedChange change)
    {
        switch (change)
        {
            case CommentAdded added:
                UpsertComment(context, record, StoredCommentId(added.CommentId), added.Body, added.Author, added.SourceTimestamp, "comment_added");
                break;
            case CommentEdited edited:
                UpsertComment(context, record, StoredCommentId(edited.CommentId), edited.Body, edited.Author, edited.SourceTimestamp, "comment_edited");
                break;
            case CommentDeleted deleted:
                DeleteComment(context, record, deleted);
                break;
            case CommentRestored restored:
                UpsertComment(context, record, StoredCommentId(restored.CommentId), restored.Body, restored.Author, restored.SourceTimestamp,
                    "comment_restored", restores: true);
                break;
            case StatusChanged status:
                var mapped = context.StatusMappings[status.NewStatus];
                if (IsNewer(status.SourceTimestamp, context.ReceivedAt, record.StatusSourceAt, record.StatusReceivedAt))
                {
                    if (record.Status != mapped)
                    {
                        Audit(context, record, "status_changed", record.Status, mapped);
                        record.Status = mapped;
                        Touch(context, record);
                    }
                    (record.StatusSourceAt, record.StatusReceivedAt) = (status.SourceTimestamp, context.ReceivedAt);
                    _changedRecords.Add(record);
                }
                break;
            case FieldChanged { Field: RecordFields.Name } name:
                if (IsNewer(name.SourceTimestamp, context.ReceivedAt, record.NameSourceAt, record.NameReceivedAt))
                {
                    if (name.NewValue is { } newValue && SenderText.Cut(newValue, MaxNameLength) is var newName && record.Name != newName)
                    {
                        Audit(context, record, "name_changed", record.Name, newName);
                        record.Name = newName;
                        Touch(context, record);
                    }
                    (record.NameSourceAt, record.NameReceivedAt) = (name.SourceTimestamp, context.ReceivedAt);
                    _changedRecords.Add(record);
                }
                break;
            case FieldChanged { Field: RecordFields.Description } description:
                if (IsNewer(description.SourceTimestamp, context.ReceivedAt, record.DescriptionSourceAt, record.DescriptionReceivedAt))
                {
                    if (record.Description != description.NewValue)
                    {
                        Audit(context, record, "description_changed", record.Description, description.NewValue);
                        record.Description = description.NewValue;
                        Touch(context, record);
                    }
                    (record.DescriptionSourceAt, record.DescriptionReceivedAt) = (description.SourceTimestamp, context.ReceivedAt);
                    _changedRecords.Add(record);
                }
                break;
            case FieldChanged other:
                // Fields the record has no column for are kept in its history only.
                Audit(context, record, SenderText.Cut($"field_changed:{other.Field}", 60), other.OldValue, other.NewValue);
                break;
            case ItemCreated created:
                Audit(context, record, "item_created", null, created.Title);
                break;
            case ChangedInSender changed:
                Audit(context, record, SenderText.Cut($"changed in {context.Provider.ToWireName()}", 60), null, changed.Description);
                break;
            case ItemDeleted:
                // The record stays: deleting product data because a linked item went away is a person's decision.
                Audit(context, record, "item_deleted", null, null);
                break;
            default:
                throw new InvalidOperationException($"No apply rule for {change.GetType().Name}.");
        }
    }

    /// <summary>
    /// Adds or edits a comment, newer changes over older ones. A deleted comment stays deleted, unless <paramref name="restores"/>
    /// (a restore made after its deletion: it is shown again with this body).
    /// </summary>
    private void UpsertComment(
        ApplyContext context, Record record, string commentId, string body, string? author, DateTimeOffset sourceAt, string action, bool restores = false)
    {
        author = author is null ? null : SenderText.Cut(author, MaxAuthorLength);
        _comments.TryGetValue((record.Id, context.Provider, commentId), out var comment);
        var now = clock.GetUtcNow();
        if (comment is null)
        {
            // An edit that arrives before its creation (or for a comment older than the link) creates the comment.
            AddComment(context, record, commentId, body, author, sourceAt, deleted: false);
            Audit(context, record, action, null, body);
            Touch(context, record);
            return;
        }

        if ((comment.Deleted && !restores) || !IsNewer(sourceAt, context.ReceivedAt, comment.SourceUpdatedAt, comment.SourceReceivedAt))
        {
            return;
        }
        if (comment.Deleted)
        {
            Audit(context, record, "comment_restored", null, body);
            comment.Deleted = false;
            comment.Body = body;
            comment.AuthorUserId = context.RunAsUserId;
            comment.UpdatedAt = now;
            Touch(context, record);
        }
        else if (comment.Body != body)
        {
            Audit(context, record, "comment_edited", comment.Body, body);
            comment.Body = body;
            comment.AuthorUserId = context.RunAsUserId;
            comment.UpdatedAt = now;
            Touch(context, record);
        }
        comment.SourceAuthor = author ?? comment.SourceAuthor;
        comment.SourceUpdatedAt = sourceAt;
        comment.SourceReceivedAt = context.ReceivedAt;
        _changedComments.Add(comment);
    }

    private void AddComment(ApplyContext context, Record record, string commentId, string body, string? author, DateTimeOffset sourceAt, bool deleted)
    {
        var now = clock.GetUtcNow();
        var comment = new Comment
        {
            Id = Guid.CreateVersion7(),
            RecordId = record.Id,
            Body = body,
            AuthorUserId = context.RunAsUserId,
            SourceProvider = context.Provider,
            SourceExternalId = commentId,
            SourceAuthor = author,
            SourceUpdatedAt = sourceAt,
            SourceReceivedAt = context.ReceivedAt,
            Deleted = deleted,
            CreatedAt = now,
            UpdatedAt = now,
        };
        _newComments.Add(comment);
        _comments[(record.Id, context.Provider, commentId)] = comment;
    }

    private void DeleteComment(ApplyContext context, Record record, CommentDeleted deleted)
    {
        var commentId = StoredCommentId(deleted.CommentId);
        _comments.TryGetValue((record.Id, context.Provider, commentId), out var comment);
        if (comment is null)
        {
            // The deletion came first (another replica's batch, or the creation handed back or replayed later): a
            // tombstone, so that the creation and any edit find the comment deleted instead of making it visible again.
            AddComment(context, record, commentId, "", null, deleted.SourceTimestamp, deleted: true);
            return;
        }
        if (comment.Deleted)
        {
            return;
        }
        // Strictly older than the comment's latest change: a restore made after this deletion came first. (GitHub and Jira
        // date a deletion with the comment's last update, equal to the stored time, so theirs always delete.)
        if (comment.SourceUpdatedAt is { } current && deleted.SourceTimestamp < current)
        {
            return;
        }
        Audit(context, record, "comment_deleted", comment.Body, null);
        comment.Deleted = true;
        comment.UpdatedAt = clock.GetUtcNow();
        // The deletion's time, so that only a restore made after it shows the comment again.
        if (IsNewer(deleted.SourceTimestamp, context.ReceivedAt, comment.SourceUpdatedAt, comment.SourceReceivedAt))
        {
            (comment.SourceUpdatedAt, comment.SourceReceivedAt) = (deleted.SourceTimestamp, context.ReceivedAt);
        }
        _changedComments.Add(comment);
        Touch(context, record);
    }

    private void Audit(ApplyContext context, Record record, string action, string? before, string? after) =>
        _audit.Add(new AuditEntry
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
        _changedRecords.Add(record);
    }

    /// <summary>
    /// Writes what <see cref="Apply"/> decided, in the caller's transaction and one round trip: new comments, changed
    /// comments, changed records and the audit entries (in the order they were made), each as one statement over arrays,
    /// then <paramref name="alsoRun"/> (the batch's outcomes: one round trip fewer per batch than a statement of their own).
    /// </summary>
    public async Task SaveAsync(NpgsqlBatchCommand? alsoRun, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Changes are saved inside the batch's transaction.");
        await using var batch = new NpgsqlBatch(connection, transaction);
        // Edited after being created in this batch: the insert carries the final state.
        _changedComments.ExceptWith(_newComments);
        if (_newComments.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO comments (id, record_id, body, author_user_id, source_provider, source_external_id, source_author,
                                      source_updated_at, deleted, created_at, updated_at, source_received_at)
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                                     $8::timestamptz[], $9::boolean[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
                """,
                _newComments.Select(c => c.Id).ToArray(), _newComments.Select(c => c.RecordId).ToArray(),
                _newComments.Select(c => c.Body).ToArray(), _newComments.Select(c => c.AuthorUserId).ToArray(),
                _newComments.Select(c => c.SourceProvider?.ToWireName()).ToArray(), _newComments.Select(c => c.SourceExternalId).ToArray(),
                _newComments.Select(c => c.SourceAuthor).ToArray(), _newComments.Select(c => Utc(c.SourceUpdatedAt)).ToArray(),
                _newComments.Select(c => c.Deleted).ToArray(), _newComments.Select(c => c.CreatedAt.ToUniversalTime()).ToArray(),
                _newComments.Select(c => c.UpdatedAt.ToUniversalTime()).ToArray(), _newComments.Select(c => Utc(c.SourceReceivedAt)).ToArray()));
        }
        if (_changedComments.Count > 0)
        {
            var changed = _changedComments.ToList();
            batch.BatchCommands.Add(Command("""
                UPDATE comments AS c
                   SET body = u.body, author_user_id = u.author_user_id, source_author = u.source_author,
                       source_updated_at = u.source_updated_at, deleted = u.deleted, updated_at = u.updated_at,
                       source_received_at = u.source_received_at
                  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::boolean[], $7::timestamptz[],
                              $8::timestamptz[])
                       AS u(id, body, author_user_id, source_author, source_updated_at, deleted, updated_at, source_received_at)
                 WHERE c.id = u.id
                """,
                changed.Select(c => c.Id).ToArray(), changed.Select(c => c.Body).ToArray(), changed.Select(c => c.AuthorUserId).ToArray(),
                changed.Select(c => c.SourceAuthor).ToArray(), changed.Select(c => Utc(c.SourceUpdatedAt)).ToArray(),
                changed.Select(c => c.Deleted).ToArray(), changed.Select(c => c.UpdatedAt.ToUniversalTime()).ToArray(),
                changed.Select(c => Utc(c.SourceReceivedAt)).ToArray()));
        }
        if (_changedRecords.Count > 0)
        {
            var records = _changedRecords.OrderBy(r => r.Id).ToList();
            batch.BatchCommands.Add(Command("""
                UPDATE records AS r
                   SET name = u.name, description = u.description, status = u.status, updated_by_user_id = u.updated_by_user_id,
                       updated_at = u.updated_at, name_source_at = u.name_source_at,
                       description_source_at = u.description_source_at, status_source_at = u.status_source_at,
                       name_received_at = u.name_received_at, description_received_at = u.description_received_at,
                       status_received_at = u.status_received_at
                  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[], $7::timestamptz[],
                              $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
                       AS u(id, name, description, status, updated_by_user_id, updated_at, name_source_at,
                            description_source_at, status_source_at, name_received_at, description_received_at, status_received_at)
                 WHERE r.id = u.id
                """,
                records.Select(r => r.Id).ToArray(), records.Select(r => r.Name).ToArray(), records.Select(r => r.Description).ToArray(),
                records.Select(r => r.Status).ToArray(), records.Select(r => r.UpdatedByUserId).ToArray(),
                records.Select(r => r.UpdatedAt.ToUniversalTime()).ToArray(), records.Select(r => Utc(r.NameSourceAt)).ToArray(),
                records.Select(r => Utc(r.DescriptionSourceAt)).ToArray(), records.Select(r => Utc(r.StatusSourceAt)).ToArray(),
                records.Select(r => Utc(r.NameReceivedAt)).ToArray(), records.Select(r => Utc(r.DescriptionReceivedAt)).ToArray(),
                records.Select(r => Utc(r.StatusReceivedAt)).ToArray()));
        }
        if (_audit.Count > 0)
        {
            // WITH ORDINALITY + ORDER BY: the identity ids follow the order the entries were made.
            batch.BatchCommands.Add(Command("""
                INSERT INTO audit_entries (record_id, user_id, action, "before", "after", "at", delivery_id, integration_id)
                SELECT record_id, user_id, action, before_value, after_value, at_value, delivery_id, integration_id
                  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::uuid[], $8::uuid[])
                       WITH ORDINALITY AS a(record_id, user_id, action, before_value, after_value, at_value, delivery_id, integration_id, n)
                 ORDER BY n
                """,
                _audit.Select(a => a.RecordId).ToArray(), _audit.Select(a => a.UserId).ToArray(), _audit.Select(a => a.Action).ToArray(),
                _audit.Select(a => a.Before).ToArray(), _audit.Select(a => a.After).ToArray(),
                _audit.Select(a => a.At.ToUniversalTime()).ToArray(), _audit.Select(a => a.DeliveryId).ToArray(),
                _audit.Select(a => a.IntegrationId).ToArray()));
        }
        if (alsoRun is not null)
        {
            batch.BatchCommands.Add(alsoRun);
        }
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>A statement of a batch, its positional parameters (<c>$1</c>, <c>$2</c>, …) typed by their values.</summary>
    public static NpgsqlBatchCommand Command(string sql, params object[] arrays)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var array in arrays)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = array });
        }
        return command;
    }

    private static DateTimeOffset? Utc(DateTimeOffset? value) => value?.ToUniversalTime();

    /// <summary>
    /// Last writer wins by the source's time: an event older than the value's source time never overwrites it. At equal
    /// source times (GitHub's updated_at has one-second resolution: a close and a reopen in one second tie) the delivery
    /// the ingress received later wins, so the outcome does not depend on the order workers apply them in. Within one
    /// delivery (same time, same receipt) the change applied last wins: the sender's own order.
    /// </summary>
    private static bool IsNewer(DateTimeOffset sourceAt, DateTimeOffset receivedAt, DateTimeOffset? currentSourceAt, DateTimeOffset? currentReceivedAt) =>
        currentSourceAt is not { } current
        || sourceAt > current
        || (sourceAt == current && (currentReceivedAt is not { } currentReceived || receivedAt >= currentReceived));

    // Column lengths (RecordConfiguration, CommentConfiguration): a longer value from a sender is cut (an id shortened
    // with a hash), not a database error that would be retried as if PostgreSQL were down.
    public const int MaxNameLength = 1000;
    public const int MaxAuthorLength = 200;
    private const int MaxCommentIdLength = 200;
}

/// <summary>One (record, change) of a batch, in the order the batch applies them.</summary>
public readonly record struct LedgerEntry(Guid RecordId, string DedupKey, Guid DeliveryId);

/// <summary>A ledger key this batch inserted.</summary>
public sealed record LedgerKey(Guid RecordId, string DedupKey);
