using Npgsql;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Webhook;

/// <summary>Stores, encrypted, the signing secret a sender hands over in its handshake (Asana's <c>X-Hook-Secret</c>).</summary>
public sealed class SigningSecretStore(NpgsqlDataSource dataSource, SecretProtector protector, IntegrationDirectory directory, ILogger<SigningSecretStore> logger)
{
    public async Task<bool> TryStoreAsync(Guid integrationId, string secret, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("UPDATE integrations SET signing_secret = $1, updated_at = now() WHERE id = $2");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = protector.Protect(secret) });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = integrationId });
            await command.ExecuteNonQueryAsync(cancellationToken);
            // The first signed event follows the handshake closely: verify it with the new secret on this replica at once.
            await directory.RefreshAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Security.Cryptography.CryptographicException)
        {
            logger.LogError("Could not store the handshake's signing secret for integration {IntegrationId} ({ExceptionType})", integrationId, e.GetType().Name);
            return false;
        }
    }
}
