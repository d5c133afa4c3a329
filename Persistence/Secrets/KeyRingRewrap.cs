using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Webhooks.Persistence.Secrets;

/// <summary>
/// Re-encrypts every key of the key ring in <c>data_protection_keys</c> with the current certificate: keys encrypted with
/// a previous certificate (a rotation), and keys stored in plaintext before the key ring was encrypted. Data Protection
/// never does this itself (a key keeps the encryption it was written with), so without it an old certificate could never
/// be retired. One transaction: a key no given certificate decrypts stops it and nothing changes. The keys themselves
/// (ids, dates, master keys) stay the same, so every secret they protect stays readable. Needs the owner's connection.
/// </summary>
public static class KeyRingRewrap
{
    private static readonly XNamespace DataProtectionNamespace = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName EncryptedSecret = DataProtectionNamespace + "encryptedSecret";
    private static readonly XName DecryptorType = "decryptorType";
    private static readonly XName RequiresEncryption = DataProtectionNamespace + "requiresEncryption";

    /// <summary>What a rewrap changed (or, with a dry run, would change).</summary>
    public sealed record Result(int Keys, int Rewrapped, int WerePlaintext);

    public static async Task<Result> RunAsync(string connectionString, KeyRingCertificates certificates, bool dryRun, CancellationToken cancellationToken = default)
    {
        // Data Protection's own decryptor, given every certificate (its options type is internal: registered through its builder).
        var services = new ServiceCollection();
        services.AddDataProtection().UnprotectKeysWithAnyCertificate([.. certificates.All]);
        await using var provider = services.BuildServiceProvider();
        var decryptor = new EncryptedXmlDecryptor(provider);
        var encryptor = new CertificateXmlEncryptor(certificates.Current, NullLoggerFactory.Instance);
        var current = Convert.ToBase64String(certificates.Current.RawData);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<(int Id, XElement Key)>();
        await using (var select = new NpgsqlCommand("SELECT id, xml FROM data_protection_keys ORDER BY id FOR UPDATE", connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetInt32(0), XElement.Parse(reader.GetString(1))));
            }
        }

        int rewrapped = 0, plaintext = 0;
        foreach (var (id, key) in rows)
        {
            var changed = false;
            foreach (var secret in key.Descendants(EncryptedSecret).ToList())
            {
                if (secret.Descendants(XNamespace.Get("http://www.w3.org/2000/09/xmldsig#") + "X509Certificate").Select(c => c.Value.Trim()).SequenceEqual([current]))
                {
                    continue;
                }
                if (!((string?)secret.Attribute(DecryptorType) ?? "").Contains(nameof(EncryptedXmlDecryptor), StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"Key row {id} is encrypted by {(string?)secret.Attribute(DecryptorType)}, not with a certificate; it is left as it is.");
                }
                XElement plain;
                try
                {
                    plain = decryptor.Decrypt(secret.Elements().Single());
                }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new InvalidOperationException(
                        $"Key row {id} ({(string?)key.Attribute("id")}) cannot be decrypted with {KeyRingCertificates.CertificatePathSetting} or " +
                        $"{KeyRingCertificates.PreviousCertificatePathsSetting}: give the certificate it was encrypted with. Nothing was changed.", e);
                }
                secret.ReplaceWith(Encrypt(encryptor, plain));
                changed = true;
            }
            var unencrypted = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true).ToList();
            foreach (var secret in unencrypted)
            {
                secret.ReplaceWith(Encrypt(encryptor, secret));
                changed = true;
            }
            plaintext += unencrypted.Count > 0 ? 1 : 0;
            if (!changed)
            {
                continue;
            }
            rewrapped++;
            if (!dryRun)
            {
                await using var update = new NpgsqlCommand("UPDATE data_protection_keys SET xml = $1 WHERE id = $2", connection, transaction);
                update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.ToString(SaveOptions.DisableFormatting) });
                update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        if (!dryRun)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return new Result(rows.Count, rewrapped, plaintext);
    }

    /// <summary>The element as Data Protection stores an encrypted secret: <c>encryptedSecret</c> naming its decryptor.</summary>
    private static XElement Encrypt(CertificateXmlEncryptor encryptor, XElement plain)
    {
        var encrypted = encryptor.Encrypt(new XElement(plain));
        return new XElement(EncryptedSecret, new XAttribute(DecryptorType, encrypted.DecryptorType.AssemblyQualifiedName!), encrypted.EncryptedElement);
    }
}
