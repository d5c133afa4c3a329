namespace Webhooks.Persistence.Model;

public enum MembershipRole
{
    Owner,
    Contributor,
    Reviewer,
    Viewer,
}

public static class MembershipRoles
{
    /// <summary>Owners and contributors may write a product's records.</summary>
    public static bool CanWrite(this MembershipRole role) => role is MembershipRole.Owner or MembershipRole.Contributor;

    public static IReadOnlyList<MembershipRole> Writers { get; } = [MembershipRole.Owner, MembershipRole.Contributor];
}
