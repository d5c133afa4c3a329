namespace Webhooks.Persistence.Model;

/// <summary>A feature, epic or requirement in a product.</summary>
public sealed class Record
{
    /// <summary>The column's length: what an operator sets, and what a status mapping may name.</summary>
    public const int MaxStatusLength = 200;

    public Guid Id { get; set; }
    public Guid ProductId { get; set; }
    public required string Kind { get; set; }
    /// <summary>Product key and a number, e.g. <c>APP-12</c>.</summary>
    public required string ReferenceNum { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string? Status { get; set; }
    public Guid? UpdatedByUserId { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    // Last writer wins per field, by the source's own timestamp: an older event never overwrites a newer value.
    public DateTimeOffset? NameSourceAt { get; set; }
    public DateTimeOffset? DescriptionSourceAt { get; set; }
    public DateTimeOffset? StatusSourceAt { get; set; }

    // When the ingress received the delivery that wrote each field: at a tie of source times (GitHub's updated_at has
    // one-second resolution) the delivery received later wins, whatever order the workers take them in.
    public DateTimeOffset? NameReceivedAt { get; set; }
    public DateTimeOffset? DescriptionReceivedAt { get; set; }
    public DateTimeOffset? StatusReceivedAt { get; set; }
}
