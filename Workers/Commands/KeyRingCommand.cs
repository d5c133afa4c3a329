using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>key-ring rewrap [--dry-run]</c>: re-encrypts the Data Protection key ring with <c>DataProtection:CertificatePath</c>
/// (<see cref="KeyRingRewrap"/>), reading it with that certificate and <c>DataProtection:PreviousCertificatePaths</c>; the
/// last step of a certificate rotation, and how a key ring stored before encryption existed gets encrypted. Runs as the
/// owner (<c>ConnectionStrings:Webhooks</c>): neither program's role may write the key ring.
/// </summary>
public static class KeyRingCommand
{
    public const string Usage = """
        Usage: Webhooks.Workers key-ring rewrap [--dry-run] [--Section:Key=value ...]
          Re-encrypts every key of the key ring with DataProtection:CertificatePath, decrypting with it and
          DataProtection:PreviousCertificatePaths. ConnectionStrings:Webhooks must be the owner's. --dry-run changes nothing.
        """;

    public static async Task<int> RunAsync(string[] arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (arguments is not ["rewrap", .. var rest] || rest.Any(a => a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal)))
        {
            await error.WriteLineAsync(Usage);
            return arguments is ["--help" or "-h" or "help", ..] ? 0 : 2;
        }
        var dryRun = rest.Contains("--dry-run");
        var configuration = WebApplication.CreateSlimBuilder([.. rest.Where(a => a != "--dry-run")]).Configuration;
        var connectionString = configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await error.WriteLineAsync($"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName} (environment: ConnectionStrings__{PersistenceExtensions.ConnectionStringName}): the owner's connection.");
            return 1;
        }
        try
        {
            var certificates = KeyRingCertificates.Load(configuration);
            var result = await KeyRingRewrap.RunAsync(connectionString, certificates, dryRun, cancellationToken);
            await output.WriteLineAsync($"{(dryRun ? "Dry run: would re-encrypt" : "Re-encrypted")} {result.Rewrapped} of {result.Keys} keys with the certificate " +
                $"{certificates.Current.Thumbprint} ({result.WerePlaintext} were stored in plaintext); the others already were.");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await error.WriteLineAsync($"error: {e.MessageText}. The key ring is written by the owner only: run with the owner's ConnectionStrings:Webhooks.");
            return 1;
        }
    }
}
