using Webhooks.Contracts;

namespace Webhooks.Persistence.Model;

/// <summary>A comment on a record. The author is our user (the run-as user); the source author is kept by name.</summary>
public sealed class Comment
{
    public Guid Id { get; set; }
    public Guid RecordId { get; set; }
    public required string Body { get; set; }
    public Guid AuthorUserId { get; set; }
    public Provider? SourceProvider { get; set; }
    public string? SourceExternalId { get; set; }
    public string? SourceAuthor { get; set; }
    public DateTimeOffset? SourceUpdatedAt { get; set; }
    /// <summary>When the ingress received the delivery that wrote the body: the tie-breaker when source times are equal.</summary>
    public DateTimeOffset? SourceReceivedAt { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
