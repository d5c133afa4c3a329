using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Webhooks.Testing;

/// <summary>
/// Certificates that encrypt the Data Protection key ring (<c>DataProtection:CertificatePath</c>), made for this test
/// run as deploy/run.sh makes its own (self-signed RSA, PEM with the private key), in a folder removed when the run ends.
/// </summary>
public static class TestCertificates
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("webhooks-test-keyring-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A child process may still hold a file; the folder is in the temp directory either way.
            }
        };
        return folder;
    });

    private static readonly Lazy<string> Shared = new(() => Create("keyring"));

    /// <summary>The certificate every host of this run shares, as every program of a deployment does.</summary>
    public static string KeyRingPath => Shared.Value;

    /// <summary>A new certificate (another deployment's, or the next one in a rotation); returns its PEM file.</summary>
    public static string Create(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=Webhooks test key ring {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(Folder.Value, $"{name}-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem() + "\n");
        return path;
    }
}
