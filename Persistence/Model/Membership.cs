namespace Webhooks.Persistence.Model;

public sealed class Membership
{
    public Guid ProductId { get; set; }
    public Guid UserId { get; set; }
    public MembershipRole Role { get; set; }
}
