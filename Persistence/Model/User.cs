namespace Webhooks.Persistence.Model;

/// <summary>A person or an integration user of an account; run-as users are users too.</summary>
public sealed class User
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public required string Name { get; set; }
    public required string Email { get; set; }
    public bool IsIntegrationUser { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
