using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// The Data Protection key ring in <c>data_protection_keys</c> is encrypted with a certificate kept outside the database
/// (<c>DataProtection:CertificatePath</c>): the database alone decrypts no secret, a process with another certificate
/// refuses signed webhooks instead of accepting them unsigned, and a rotation (a new certificate, the old one still given
/// for reading) keeps every secret readable. Each test has a database of its own, so it sees only its own keys.
/// </summary>
[NonParallelizable]
public sealed class KeyRingCertificateTests
{
    private static readonly XNamespace XmlDsig = "http://www.w3.org/2000/09/xmldsig#";

    [Test]
    public async Task Stored_key_ring_holds_no_plaintext_master_key_only_one_encrypted_with_the_certificate()
    {
        await using var database = await TestDatabase.CreateAsync("keyring");
        await using var app = await IngressFixture.StartAsync(configure: web => web.ConfigureLogging(logging => logging.AddFakeLogging()), connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        var admin = new AdminClient(app.CreateAdminClient());

        var seeded = await admin.SeedAsync("github", signingSecret: "key-ring-secret-0001");
        Assert.That(await GitHubSender.PostSignedAsync(client, seeded.WebhookPath, "key-ring-secret-0001"), Is.EqualTo(HttpStatusCode.OK));

        var keys = await KeysAsync(database.ConnectionString);
        Assert.That(keys, Is.Not.Empty);
        using var certificate = X509Certificate2.CreateFromPemFile(TestCertificates.KeyRingPath);
        foreach (var key in keys)
        {
            Assert.Multiple(() =>
            {
                Assert.That(key.Descendants().Where(e => e.Name.LocalName == "masterKey"), Is.Empty, "a master key in plaintext:\n" + key);
                Assert.That(key.Descendants().Where(e => e.Name.LocalName == "value"), Is.Empty, "a secret value in plaintext:\n" + key);
                Assert.That(key.Descendants().Where(e => e.Name.LocalName == "encryptedSecret").Select(e => (string?)e.Attribute("decryptorType")),
                    Has.One.Contains("EncryptedXmlDecryptor"), "the secret is XML-encrypted");
                Assert.That(EncryptedFor(key), Is.EqualTo(new[] { Convert.ToBase64String(certificate.RawData) }),
                    "encrypted for the certificate from outside the database");
            });
        }
        var logged = app.Services.GetFakeLogCollector().GetSnapshot();
        Assert.That(logged, Is.Not.Empty, "the capture must see the host's logs");
        Assert.That(logged.Select(r => r.Message), Has.None.Contains("No XML encryptor configured"));
    }

    [Test]
    public async Task Ingress_with_another_certificate_cannot_decrypt_and_refuses_signed_and_unsigned_webhooks()
    {
        await using var database = await TestDatabase.CreateAsync("keyring");
        await using var owner = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        using var ownerClient = owner.CreateClient();
        var seeded = await new AdminClient(owner.CreateAdminClient()).SeedAsync("github", signingSecret: "other-cert-secret-0002");
        Assert.That(await GitHubSender.PostSignedAsync(ownerClient, seeded.WebhookPath, "other-cert-secret-0002"), Is.EqualTo(HttpStatusCode.OK));

        // Same database (its key ring and the encrypted secret), another deployment's certificate.
        await using var stranger = await IngressFixture.StartAsync(configure: web => web.UseSetting("DataProtection:CertificatePath", TestCertificates.Create("stranger")), connectionString: database.ConnectionString);
        using var strangerClient = stranger.CreateClient();

        Assert.That(await GitHubSender.PostSignedAsync(strangerClient, seeded.WebhookPath, "other-cert-secret-0002"), Is.EqualTo(HttpStatusCode.Unauthorized),
            "the secret cannot be decrypted, so nothing verifies");
        using (var unsigned = await strangerClient.PostAsync(seeded.WebhookPath, new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "never accepted as if the integration had no secret");
        }
        var stored = await StoredSecretAsync(database.ConnectionString, seeded.IntegrationId);
        Assert.Throws<CryptographicException>(() => stranger.Services.GetRequiredService<SecretProtector>().Unprotect(stored),
            "decrypting fails loudly where it is used");
        Assert.That(owner.Services.GetRequiredService<SecretProtector>().Unprotect(stored), Is.EqualTo("other-cert-secret-0002"));
    }

    [Test]
    public async Task Rotation_to_a_new_certificate_with_the_old_one_for_reading_keeps_every_secret_readable()
    {
        await using var database = await TestDatabase.CreateAsync("keyring");
        var oldCertificate = TestCertificates.Create("old");
        var newCertificate = TestCertificates.Create("new");

        // Before: everything on the old certificate.
        Seeded before;
        await using (var old = await IngressFixture.StartAsync(configure: web => web.UseSetting("DataProtection:CertificatePath", oldCertificate), connectionString: database.ConnectionString))
        {
            before = await new AdminClient(old.CreateAdminClient()).SeedAsync("github", signingSecret: "before-rotation-0003");
        }

        // During: every program gets the new certificate, the old one still decrypts.
        var rotated = (Action<IWebHostBuilder>)(web => web
            .UseSetting("DataProtection:CertificatePath", newCertificate)
            .UseSetting("DataProtection:PreviousCertificatePaths", oldCertificate));
        await using (var rotating = await IngressFixture.StartAsync(configure: rotated, connectionString: database.ConnectionString))
        {
            using var client = rotating.CreateClient();
            Assert.That(await GitHubSender.PostSignedAsync(client, before.WebhookPath, "before-rotation-0003"), Is.EqualTo(HttpStatusCode.OK),
                "a secret from before the rotation still verifies");
            // The next key (Data Protection makes one every 90 days; an operator may make it at once) is encrypted with the
            // new certificate.
            var now = DateTimeOffset.UtcNow;
            rotating.Services.GetRequiredService<IKeyManager>().CreateNewKey(now, now.AddDays(90));
        }
        Seeded after;
        await using (var rotating = await IngressFixture.StartAsync(configure: rotated, connectionString: database.ConnectionString))
        {
            using var client = rotating.CreateClient();
            after = await new AdminClient(rotating.CreateAdminClient()).SeedAsync("github", signingSecret: "after-rotation-0004");
            Assert.That(await GitHubSender.PostSignedAsync(client, after.WebhookPath, "after-rotation-0004"), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await GitHubSender.PostSignedAsync(client, before.WebhookPath, "before-rotation-0003"), Is.EqualTo(HttpStatusCode.OK));
        }
        using var oldOne = X509Certificate2.CreateFromPemFile(oldCertificate);
        using var newOne = X509Certificate2.CreateFromPemFile(newCertificate);
        var encryptedFor = (await KeysAsync(database.ConnectionString)).Select(EncryptedFor).ToList();
        Assert.That(encryptedFor, Is.EqualTo(new[] { new[] { Convert.ToBase64String(oldOne.RawData) }, [Convert.ToBase64String(newOne.RawData)] }),
            "the old key stays encrypted with the old certificate, the new key with the new one");

        // The new certificate alone reads the new key, not the old one: until the key ring is re-encrypted the old
        // certificate is still needed.
        await using (var newOnly = await IngressFixture.StartAsync(configure: web => web.UseSetting("DataProtection:CertificatePath", newCertificate), connectionString: database.ConnectionString))
        {
            using var client = newOnly.CreateClient();
            Assert.That(await GitHubSender.PostSignedAsync(client, after.WebhookPath, "after-rotation-0004"), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await GitHubSender.PostSignedAsync(client, before.WebhookPath, "before-rotation-0003"), Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        // The last step (Webhooks.Workers key-ring rewrap, as the owner): every key re-encrypted with the new certificate.
        var rewrapped = await KeyRingRewrap.RunAsync(database.ConnectionString, Certificates(newCertificate, oldCertificate), dryRun: false);
        Assert.That(rewrapped, Is.EqualTo(new KeyRingRewrap.Result(Keys: 2, Rewrapped: 1, WerePlaintext: 0)));
        Assert.That((await KeysAsync(database.ConnectionString)).Select(EncryptedFor),
            Is.All.EqualTo(new[] { Convert.ToBase64String(newOne.RawData) }));
        await using (var retired = await IngressFixture.StartAsync(configure: web => web.UseSetting("DataProtection:CertificatePath", newCertificate), connectionString: database.ConnectionString))
        {
            using var client = retired.CreateClient();
            Assert.That(await GitHubSender.PostSignedAsync(client, before.WebhookPath, "before-rotation-0003"), Is.EqualTo(HttpStatusCode.OK),
                "after the rewrap the old certificate can be retired");
            Assert.That(await GitHubSender.PostSignedAsync(client, after.WebhookPath, "after-rotation-0004"), Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task Key_ring_stored_in_plaintext_before_encryption_is_encrypted_by_a_rewrap_and_stays_readable()
    {
        await using var database = await TestDatabase.CreateAsync("keyring");
        // What the previous version did: Data Protection on the same table, no certificate.
        var legacyServices = new ServiceCollection();
        legacyServices.AddDataProtection().SetApplicationName(SecretProtectionExtensions.ApplicationName);
        await using var legacyDataSource = NpgsqlDataSource.Create(database.ConnectionString);
        legacyServices.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(legacyDataSource));
        legacyServices.AddSingleton<SecretProtector>();
        string stored;
        await using (var legacy = legacyServices.BuildServiceProvider())
        {
            stored = legacy.GetRequiredService<SecretProtector>().Protect("legacy-secret-0005")!;
        }
        Assert.That((await KeysAsync(database.ConnectionString)).Single().Descendants().Where(e => e.Name.LocalName == "value"), Is.Not.Empty,
            "the previous version stored the master key in plaintext");

        var rewrapped = await KeyRingRewrap.RunAsync(database.ConnectionString, Certificates(TestCertificates.KeyRingPath), dryRun: false);

        Assert.That(rewrapped, Is.EqualTo(new KeyRingRewrap.Result(Keys: 1, Rewrapped: 1, WerePlaintext: 1)));
        var key = (await KeysAsync(database.ConnectionString)).Single();
        Assert.That(key.Descendants().Where(e => e.Name.LocalName is "value" or "masterKey"), Is.Empty, key.ToString());
        using var certificate = X509Certificate2.CreateFromPemFile(TestCertificates.KeyRingPath);
        Assert.That(EncryptedFor(key), Is.EqualTo(new[] { Convert.ToBase64String(certificate.RawData) }));
        await using var app = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        Assert.That(app.Services.GetRequiredService<SecretProtector>().Unprotect(stored), Is.EqualTo("legacy-secret-0005"));
    }

    private static IEnumerable<TestCaseData> UnusableCertificates()
    {
        yield return new TestCaseData((Func<string>)(() => "")).SetArgDisplayNames("no setting");
        yield return new TestCaseData((Func<string>)(() => Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.pem"))).SetArgDisplayNames("no such file");
        yield return new TestCaseData((Func<string>)(() => WriteTemporary("not a certificate"))).SetArgDisplayNames("not a certificate");
        yield return new TestCaseData((Func<string>)(() =>
        {
            using var withKey = X509Certificate2.CreateFromPemFile(TestCertificates.KeyRingPath);
            return WriteTemporary(withKey.ExportCertificatePem());
        })).SetArgDisplayNames("a certificate without its private key");
    }

    [TestCaseSource(nameof(UnusableCertificates))]
    public void Ingress_without_a_usable_certificate_does_not_start_and_names_the_setting(Func<string> certificatePath)
    {
        using var app = new IngressApplication(configure: web => web.UseSetting("DataProtection:CertificatePath", certificatePath()));

        var stopped = Assert.Catch(() => app.CreateClient());

        var messages = new List<string>();
        for (Exception? e = stopped; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }
        Assert.That(string.Join(" | ", messages), Does.Contain("DataProtection:CertificatePath"));
    }

    private static string WriteTemporary(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"webhooks-test-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, text);
        return path;
    }

    private static KeyRingCertificates Certificates(string current, params string[] previous) =>
        KeyRingCertificates.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [KeyRingCertificates.CertificatePathSetting] = current,
            [KeyRingCertificates.PreviousCertificatePathsSetting] = string.Join(',', previous),
        }).Build());

    /// <summary>The certificates (base64 DER) an encrypted key element names as the recipients of its encrypted secret.</summary>
    private static string[] EncryptedFor(XElement key) =>
        [.. key.Descendants(XmlDsig + "X509Certificate").Select(e => e.Value.Trim())];

    private static async Task<List<XElement>> KeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xml FROM data_protection_keys ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<XElement>();
        while (await reader.ReadAsync())
        {
            keys.Add(XElement.Parse(reader.GetString(0)));
        }
        return keys;
    }

    private static async Task<string?> StoredSecretAsync(string connectionString, Guid integrationId)
    {
        await using var db = new Persistence.WebhooksDbContext(new DbContextOptionsBuilder<Persistence.WebhooksDbContext>().UseNpgsql(connectionString).Options);
        return await db.IntegrationSigningSecrets.AsNoTracking().Where(s => s.IntegrationId == integrationId).Select(s => s.Secret).SingleOrDefaultAsync();
    }
}
