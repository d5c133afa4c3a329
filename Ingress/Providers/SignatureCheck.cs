namespace Webhooks.Ingress.Providers;

/// <summary>What a sender's authentication check concluded.</summary>
public enum SignatureCheck
{
    /// <summary>Signed, and the signature verified: recorded <c>signatureVerified</c>.</summary>
    Valid,
    /// <summary>
    /// Not signed, but the message names the organization or subscription the integration is set to (Salesforce, Rally):
    /// accepted, and recorded unverified, since anyone who knows that id can send it.
    /// </summary>
    SenderMatched,
    /// <summary>The integration has no secret: accepted and recorded as unverified.</summary>
    NoSecret,
    /// <summary>A secret is configured but the request carries no signature: 401.</summary>
    NotSigned,
    /// <summary>The signature, organization or subscription does not match: 401.</summary>
    Mismatch,
    /// <summary>
    /// The request's signed timestamp is too far from the receiver's clock (Standard Webhooks: 5 minutes either way), so
    /// it may be a captured delivery sent again: 401 with that reason.
    /// </summary>
    TimestampOutsideTolerance,
}
