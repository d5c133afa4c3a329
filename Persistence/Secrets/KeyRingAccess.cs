namespace Webhooks.Persistence.Secrets;

/// <summary>Whether a program may add keys to the Data Protection key ring.</summary>
public enum KeyRingAccess
{
    /// <summary>The ingress: makes the first key and the next one before the current expires (every 90 days).</summary>
    CreateKeys,

    /// <summary>The workers: only decrypt (API tokens, held-delivery seals) and never write the key ring.</summary>
    ReadOnly,
}
