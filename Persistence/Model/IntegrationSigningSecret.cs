using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Persistence.Model;

/// <summary>
/// One of an integration's signing secrets. An integration keeps several (each Asana webhook brings its own in its
/// handshake); a signature that verifies with any secret in force is valid. Stored encrypted
/// (<see cref="Secrets.SecretProtector"/>); the value itself is never shown, only its <see cref="Fingerprint"/>.
/// </summary>
public sealed class IntegrationSigningSecret
{
    /// <summary>How many secrets in force one integration may keep.</summary>
    public const int MaxPerIntegration = 10;

    public Guid Id { get; set; }
    public Guid IntegrationId { get; set; }
    /// <summary>The protected value (<c>dp1:…</c>), or plaintext written before encryption at rest existed.</summary>
    public required string Secret { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When set, the secret stops verifying at this instant (a rotation's grace period); null = until removed.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public bool IsInForceAt(DateTimeOffset now) => ExpiresAt is not { } expires || expires > now;

    /// <summary>
    /// A short, stable, non-reversible name for a secret: the first 12 hex digits of its SHA-256. Shown by the admin
    /// API and used to remove one secret; it identifies a secret without revealing it.
    /// </summary>
    public static string Fingerprint(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12];
}
