using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace Webhooks.Persistence.Secrets;

/// <summary>
/// The certificate that encrypts the Data Protection key ring wherever it is kept (<c>DataProtection:CertificatePath</c>),
/// and earlier ones still accepted to decrypt keys they encrypted (<c>DataProtection:PreviousCertificatePaths</c>). Kept
/// outside the database, so a copy of the database alone decrypts no secret. Read once at start; a missing or unusable
/// certificate stops the program naming the setting.
/// </summary>
public sealed class KeyRingCertificates
{
    public const string CertificatePathSetting = "DataProtection:CertificatePath";
    public const string CertificatePasswordSetting = "DataProtection:CertificatePassword";
    public const string PreviousCertificatePathsSetting = "DataProtection:PreviousCertificatePaths";

    private KeyRingCertificates(X509Certificate2 current, IReadOnlyList<X509Certificate2> previous)
    {
        Current = current;
        Previous = previous;
    }

    /// <summary>Encrypts new keys, and decrypts.</summary>
    public X509Certificate2 Current { get; }

    /// <summary>Decrypt only: keys made before the current certificate was rotated in.</summary>
    public IReadOnlyList<X509Certificate2> Previous { get; }

    public IEnumerable<X509Certificate2> All => [Current, .. Previous];

    public static KeyRingCertificates Load(IConfiguration configuration)
    {
        var path = configuration[CertificatePathSetting];
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException(
                $"Missing setting {CertificatePathSetting} (environment: {Environment(CertificatePathSetting)}): the certificate, kept outside " +
                "the database, that encrypts the Data Protection key ring (a PEM file with the certificate and its private key, or PKCS#12). " +
                "deploy/run.sh generates one under .run/; docs/security.md says how to make and rotate it.");
        }
        var password = configuration[CertificatePasswordSetting] is { Length: > 0 } given ? given : null;
        var current = LoadFile(path.Trim(), password, CertificatePathSetting);
        var previous = (configuration[PreviousCertificatePathsSetting] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => LoadFile(p, password, PreviousCertificatePathsSetting))
            .Where(c => c.Thumbprint != current.Thumbprint)
            .ToList();
        return new KeyRingCertificates(current, previous);
    }

    /// <summary>A PEM file (certificate and private key, the key encrypted when a password is given) or a PKCS#12 file.</summary>
    public static X509Certificate2 LoadFile(string path, string? password, string setting)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{setting}: no certificate file at {path} (environment: {Environment(setting)}).");
        }
        X509Certificate2 certificate;
        try
        {
            var pem = File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal);
            certificate = pem
                ? password is null ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromEncryptedPemFile(path, password)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException)
        {
            throw new InvalidOperationException(
                $"{setting}: {path} is not a certificate with its private key (PEM with both, or PKCS#12; password: {CertificatePasswordSetting}): {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{setting}: {path} has no private key; it is needed to decrypt the key ring.");
        }
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            throw new InvalidOperationException($"{setting}: {path} holds a {certificate.PublicKey.Oid.FriendlyName} key; the key ring's XML encryption needs RSA.");
        }
        return certificate;
    }

    private static string Environment(string setting) => setting.Replace(":", "__", StringComparison.Ordinal);
}
