namespace Webhooks.Persistence.Model;

public sealed class Account
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public AccountStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
