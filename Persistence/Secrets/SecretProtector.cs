using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Webhooks.Persistence.Secrets;

/// <summary>
/// Encrypts integration secrets (signing secrets, settings' <c>apiToken</c>) for storage with ASP.NET Core Data
/// Protection, and reads them back. A protected value starts with <see cref="Prefix"/>; any other stored value is a
/// plaintext secret written before encryption at rest existed and is read as it is (it is encrypted on its next write).
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";
    private const string Purpose = "Webhooks.IntegrationSecrets.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public static bool IsProtected(string? stored) => stored is not null && stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The value to store for a secret; null and empty stay as they are.</summary>
    public string? Protect(string? secret) =>
        string.IsNullOrEmpty(secret) || IsProtected(secret) ? secret : Prefix + _protector.Protect(secret);

    /// <summary>The secret behind a stored value. Throws <see cref="CryptographicException"/> when the key that protected it is gone.</summary>
    public string? Unprotect(string? stored) =>
        IsProtected(stored) ? _protector.Unprotect(stored![Prefix.Length..]) : stored;

    /// <summary>Like <see cref="Unprotect"/>, but false instead of an exception when the value cannot be decrypted.</summary>
    public bool TryUnprotect(string? stored, out string? secret)
    {
        try
        {
            secret = Unprotect(stored);
            return true;
        }
        catch (CryptographicException)
        {
            secret = null;
            return false;
        }
    }
}
