namespace Webhooks.Persistence.Model;

public enum AccountStatus
{
    Active,
    Disabled,
    Suspended,
}
