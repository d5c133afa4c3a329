namespace Webhooks.Persistence.Model;

/// <summary>A workspace of an account. Its key prefixes the reference numbers of its records.</summary>
public sealed class Product
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public required string Key { get; set; }
    public required string Name { get; set; }
    public int LastRecordNumber { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
