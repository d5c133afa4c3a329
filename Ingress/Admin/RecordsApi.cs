using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

public static class RecordsApi
{
    public static readonly IReadOnlyList<string> Kinds = ["feature", "epic", "requirement"];

    public static RouteGroupBuilder MapRecordsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/products/{id:guid}/records", CreateRecordAsync).WithTags("Records").WithName("CreateRecord")
            .WithSummary("Create a feature, epic or requirement; its reference number is the product key and the next number");
        admin.MapPost("/records/{id:guid}/links", CreateLinkAsync).WithTags("Records").WithName("CreateLink")
            .WithSummary("Link a record to an item of a sending tool, through an integration of the record's account");
        admin.MapGet("/records/{id:guid}", GetRecordAsync).WithTags("Records").WithName("GetRecord")
            .WithSummary("A record with its comments and its history (who changed what, through which delivery)");
        return admin;
    }

    public static async Task<Results<Created<RecordResponse>, ValidationProblem, ProblemHttpResult>> CreateRecordAsync(
        Guid id, CreateRecordRequest request, WebhooksDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var kind = request.Kind?.Trim().ToLowerInvariant();
        if (kind is null || !Kinds.Contains(kind))
        {
            return AdminResults.Invalid("kind", "The kind must be one of feature, epic, requirement.");
        }
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 1000)
        {
            return AdminResults.Invalid("name", "The name is required, at most 1000 characters.");
        }
        if (request.Status is { Length: > Record.MaxStatusLength })
        {
            return AdminResults.Invalid("status", $"The status is at most {Record.MaxStatusLength} characters.");
        }

        var now = clock.GetUtcNow();
        var record = new Record
        {
            Id = Guid.NewGuid(),
            ProductId = id,
            Kind = kind,
            ReferenceNum = "",
            Name = name,
            Description = request.Description,
            Status = request.Status,
            CreatedAt = now,
            UpdatedAt = now,
        };
        // Retried as a whole after a lost connection (AdminExecutionStrategy); when the commit itself was lost, the record's
        // id tells whether it landed, so a retry never takes a second number. The number is set in the attempt that commits.
        var created = await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            // One UPDATE … RETURNING takes the next number: concurrent creates queue on the product row and never share one.
            var next = await db.Database.SqlQuery<NextNumber>($"""
                UPDATE products SET last_record_number = last_record_number + 1 WHERE id = {id}
                RETURNING key AS "Key", last_record_number AS "Number"
                """).ToListAsync(ct);
            if (next.Count == 0)
            {
                return false;
            }
            record.ReferenceNum = $"{next[0].Key}-{next[0].Number}";
            db.Records.Add(record);
            await db.SaveChangesAsync(ct);
            return true;
        }, ct => db.Records.AnyAsync(r => r.Id == record.Id, ct), cancellationToken);
        if (!created)
        {
            return AdminResults.NotFound("product", id);
        }
        return TypedResults.Created($"{AdminApi.Prefix}/records/{record.Id}",
            new RecordResponse(record.Id, record.ReferenceNum, record.Kind, record.Name, record.Description, record.Status, record.ProductId));
    }

    public static async Task<Results<Created<LinkResponse>, ValidationProblem, ProblemHttpResult>> CreateLinkAsync(
        Guid id, CreateLinkRequest request, WebhooksDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (request.IntegrationId is not { } integrationId)
        {
            return AdminResults.Invalid("integrationId", "The integrationId is required.");
        }
        var externalId = request.ExternalId?.Trim();
        if (string.IsNullOrEmpty(externalId) || externalId.Length > 200)
        {
            return AdminResults.Invalid("externalId", "The externalId is required, at most 200 characters.");
        }
        if (request.ExternalKey is { Length: > 200 })
        {
            return AdminResults.Invalid("externalKey", "The externalKey is at most 200 characters.");
        }
        if (request.ExternalUrl is { Length: > 2000 })
        {
            return AdminResults.Invalid("externalUrl", "The externalUrl is at most 2000 characters.");
        }

        var recordAccount = await (from r in db.Records
                                   join p in db.Products on r.ProductId equals p.Id
                                   where r.Id == id
                                   select (Guid?)p.AccountId).FirstOrDefaultAsync(cancellationToken);
        if (recordAccount is null)
        {
            return AdminResults.NotFound("record", id);
        }
        var integrationAccount = await db.Integrations.Where(i => i.Id == integrationId).Select(i => (Guid?)i.AccountId).FirstOrDefaultAsync(cancellationToken);
        if (integrationAccount != recordAccount)
        {
            return AdminResults.Invalid("integrationId", "The integration must belong to the record's account.");
        }
        if (await db.Links.AnyAsync(l => l.RecordId == id && l.IntegrationId == integrationId && l.ExternalId == externalId, cancellationToken))
        {
            return AdminResults.Conflict("The record is already linked to this item through this integration.");
        }

        var link = new Link
        {
            Id = Guid.NewGuid(),
            RecordId = id,
            IntegrationId = integrationId,
            ExternalId = externalId,
            ExternalKey = request.ExternalKey,
            ExternalUrl = request.ExternalUrl,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Links.Add(link);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (AdminResults.IsUniqueViolation(e))
        {
            return AdminResults.Conflict("The record is already linked to this item through this integration.");
        }
        return TypedResults.Created($"{AdminApi.Prefix}/records/{id}/links/{link.Id}",
            new LinkResponse(link.Id, link.RecordId, link.IntegrationId, link.ExternalId, link.ExternalKey, link.ExternalUrl));
    }

    public static async Task<Results<Ok<RecordDetail>, ProblemHttpResult>> GetRecordAsync(Guid id, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        var record = await db.Records.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return AdminResults.NotFound("record", id);
        }
        var comments = await db.Comments.AsNoTracking()
            .Where(c => c.RecordId == id && !c.Deleted)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .ToListAsync(cancellationToken);
        var history = await db.AuditEntries.AsNoTracking()
            .Where(a => a.RecordId == id)
            .OrderBy(a => a.At).ThenBy(a => a.Id)
            .ToListAsync(cancellationToken);

        return TypedResults.Ok(new RecordDetail(
            record.Id, record.Name, record.Description, record.Status, record.UpdatedByUserId, record.ReferenceNum, record.Kind, record.ProductId,
            [.. comments.Select(c => new CommentResponse(c.Id, c.Body, c.AuthorUserId, c.SourceProvider?.ToWireName(), c.SourceExternalId, c.SourceAuthor))],
            [.. history.Select(a => new HistoryEntry(a.UserId, a.Action, a.At, a.DeliveryId, a.IntegrationId, a.Before, a.After))]));
    }

    private sealed record NextNumber(string Key, int Number);
}

public sealed record CreateRecordRequest(string? Kind, string? Name, string? Description, string? Status);

public sealed record RecordResponse(Guid Id, string ReferenceNum, string Kind, string Name, string? Description, string? Status, Guid ProductId);

public sealed record CreateLinkRequest(Guid? IntegrationId, string? ExternalId, string? ExternalKey, string? ExternalUrl);

public sealed record LinkResponse(Guid Id, Guid RecordId, Guid IntegrationId, string ExternalId, string? ExternalKey, string? ExternalUrl);

public sealed record CommentResponse(Guid Id, string Body, Guid AuthorUserId, string? SourceProvider, string? SourceExternalId, string? SourceAuthor);

public sealed record HistoryEntry(Guid UserId, string Action, DateTimeOffset At, Guid? DeliveryId, Guid? IntegrationId, string? Before, string? After);

public sealed record RecordDetail(
    Guid Id, string Name, string? Description, string? Status, Guid? UpdatedByUserId, string ReferenceNum, string Kind, Guid ProductId,
    List<CommentResponse> Comments, List<HistoryEntry> History);
