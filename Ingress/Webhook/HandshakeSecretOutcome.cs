using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Webhook;

/// <summary>What became of a secret handed over in a handshake.</summary>
public enum HandshakeSecretOutcome
{
    /// <summary>Stored: signatures made with it verify from now on, on every replica within a directory refresh.</summary>
    Stored,
    /// <summary>The integration already keeps this very secret (the handshake was repeated); nothing changed.</summary>
    AlreadyKept,
    /// <summary>The integration already has a secret and no handshake window is open; nothing changed.</summary>
    WindowClosed,
    /// <summary>The integration already keeps <see cref="IntegrationSigningSecret.MaxPerIntegration"/> secrets; nothing changed.</summary>
    LimitReached,
    /// <summary>PostgreSQL could not take it; nothing changed, the sender should try again.</summary>
    Unavailable,
}
