using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Webhooks.Persistence.Secrets;

public static class SecretProtectionExtensions
{
    public const string ApplicationName = "Webhooks";

    /// <summary>Setting of a folder for the key ring instead of the database (environment: <c>DataProtection__KeysPath</c>).</summary>
    public const string KeysPathSetting = "DataProtection:KeysPath";

    /// <summary>
    /// Data Protection for integration secrets, shared by the ingress and the workers (same application name, same key
    /// ring): the key ring lives in PostgreSQL (table <c>data_protection_keys</c>), or in the folder
    /// <c>DataProtection:KeysPath</c> when set, and is encrypted with the certificate <c>DataProtection:CertificatePath</c>
    /// (<see cref="KeyRingCertificates"/>), which never enters the database. Call after
    /// <see cref="PersistenceExtensions.AddWebhooksDatabase"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSecretProtection(this IHostApplicationBuilder builder, KeyRingAccess access = KeyRingAccess.CreateKeys)
    {
        var certificates = KeyRingCertificates.Load(builder.Configuration);
        builder.Services.AddSingleton(certificates);
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(ApplicationName)
            .ProtectKeysWithCertificate(certificates.Current)
            // The current certificate and the ones it replaced: keys made before a rotation stay readable.
            .UnprotectKeysWithAnyCertificate([.. certificates.All]);
        if (access == KeyRingAccess.ReadOnly)
        {
            // Without a usable key the worker fails where it decrypts, instead of writing a key of its own.
            dataProtection.DisableAutomaticKeyGeneration();
        }
        if (builder.Configuration[KeysPathSetting] is { Length: > 0 } folder)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(folder));
        }
        else
        {
            builder.Services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource>((options, dataSource) =>
                options.XmlRepository = new PostgresXmlRepository(dataSource));
        }
        builder.Services.AddSingleton<SecretProtector>();
        builder.Services.AddSingleton<HeldDeliverySeal>();
        return builder;
    }
}
