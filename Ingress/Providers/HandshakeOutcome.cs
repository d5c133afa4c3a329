namespace Webhooks.Ingress.Providers;

/// <summary>How the endpoint records a handshake's answer. None is ever queued.</summary>
public enum HandshakeOutcome
{
    /// <summary>Answered as the sender asked: recorded as a <c>handshake</c> delivery.</summary>
    Answered,
    /// <summary>Refused (4xx) with a reason: recorded as a <c>rejected</c> delivery with that reason.</summary>
    Refused,
    /// <summary>Could not be completed now (503, nothing changed): not recorded; the sender tries again.</summary>
    Unavailable,
}
