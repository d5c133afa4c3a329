using System.CommandLine;
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
    public static Command Create(CommandEnvironment environment)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be re-encrypted; change nothing" };
        var rewrap = new Command("rewrap",
            "Re-encrypt every key with DataProtection:CertificatePath, decrypting with it and DataProtection:PreviousCertificatePaths; " +
            "ConnectionStrings:Webhooks must be the owner's") { dryRun };
        rewrap.SetAction((result, cancellationToken) => RewrapAsync(environment, result.GetValue(dryRun), cancellationToken));
        return new Command("key-ring", "The Data Protection key ring that encrypts signing secrets and API tokens") { rewrap };
    }

    public static async Task<int> RewrapAsync(CommandEnvironment environment, bool dryRun, CancellationToken cancellationToken = default)
    {
        var configuration = environment.CreateBuilder().Configuration;
        var connectionString = CommandEnvironment.RequireConnectionString(configuration);
        try
        {
            var certificates = KeyRingCertificates.Load(configuration);
            var result = await KeyRingRewrap.RunAsync(connectionString, certificates, dryRun, cancellationToken);
            await environment.Output.WriteLineAsync($"{(dryRun ? "Dry run: would re-encrypt" : "Re-encrypted")} {result.Rewrapped} of {result.Keys} keys with the certificate " +
                $"{certificates.Current.Thumbprint} ({result.WerePlaintext} were stored in plaintext); the others already were.");
            return WorkerCommands.Ok;
        }
        catch (InvalidOperationException e)
        {
            await environment.Error.WriteLineAsync($"error: {e.Message}");
            return WorkerCommands.Failed;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await environment.Error.WriteLineAsync($"error: {e.MessageText}. The key ring is written by the owner only: run with the owner's ConnectionStrings:Webhooks.");
            return WorkerCommands.Failed;
        }
    }
}
