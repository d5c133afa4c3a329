using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// Keeps, encrypted, a signing secret a sender hands over in its handshake (Asana's <c>X-Hook-Secret</c>), under the
/// handshake rules: the first secret is taken at any time, another only while an operator's handshake window is open
/// (<see cref="Integration.HandshakeWindowUntil"/>), never more than <see cref="IntegrationSigningSecret.MaxPerIntegration"/>.
/// Otherwise anyone who knows the callback URL could replace or add a secret and sign whatever they like.
/// </summary>
public sealed partial class SigningSecretStore(
    NpgsqlDataSource dataSource, SecretProtector protector, IntegrationsByToken integrationsByToken, TimeProvider time, ILogger<SigningSecretStore> logger)
{
    public async Task<HandshakeSecretOutcome> AddFromHandshakeAsync(Guid integrationId, string secret, CancellationToken cancellationToken)
    {
        HandshakeSecretOutcome outcome;
        try
        {
            outcome = await AddAsync(integrationId, secret, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or CryptographicException or OperationCanceledException)
        {
            // A sender that left before the commit gets nothing stored: its next attempt is again a first handshake.
            Log.NotStored(logger, integrationId, e.GetType().Name);
            return HandshakeSecretOutcome.Unavailable;
        }
        if (outcome == HandshakeSecretOutcome.Stored)
        {
            Log.Stored(logger, integrationId);
            try
            {
                // The first signed event follows the handshake closely: verify it with the new secret on this replica at once.
                await integrationsByToken.RefreshAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Stored all the same, so the sender must see it confirmed: a 503 would make it try again with a new secret,
                // refused once this one is in force. The directory's next poll reads it.
                Log.RefreshAfterStoreFailed(logger, integrationId, e.GetType().Name);
            }
        }
        return outcome;
    }

    private async Task<HandshakeSecretOutcome> AddAsync(Guid integrationId, string secret, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Two handshakes at once must not both count as the first secret, nor both fit under the limit: the integration
        // row's lock makes them, and the admin API's changes to the secrets, take turns.
        DateTimeOffset? windowUntil;
        await using (var lockIntegration = new NpgsqlCommand("SELECT handshake_window_until FROM integrations WHERE id = $1 FOR NO KEY UPDATE", connection, transaction))
        {
            lockIntegration.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = integrationId });
            await using var reader = await lockIntegration.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return HandshakeSecretOutcome.WindowClosed;
            }
            windowUntil = reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
        }

        var now = time.GetUtcNow();
        var inForce = new List<string>();
        await using (var read = new NpgsqlCommand(
            "SELECT secret FROM integration_signing_secrets WHERE integration_id = $1 AND (expires_at IS NULL OR expires_at > $2)", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = integrationId });
            read.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inForce.Add(reader.GetString(0));
            }
        }

        if (inForce.Any(stored => IsSameSecret(stored, secret)))
        {
            // The same handshake again (our first answer lost on its way): nothing to add, and nothing an intruder learns.
            return HandshakeSecretOutcome.AlreadyKept;
        }
        if (inForce.Count > 0 && !(windowUntil > now))
        {
            return HandshakeSecretOutcome.WindowClosed;
        }
        if (inForce.Count >= IntegrationSigningSecret.MaxPerIntegration)
        {
            return HandshakeSecretOutcome.LimitReached;
        }

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO integration_signing_secrets (id, integration_id, secret, created_at) VALUES ($1, $2, $3, $4)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = integrationId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = protector.Protect(secret) });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return HandshakeSecretOutcome.Stored;
    }

    private bool IsSameSecret(string stored, string secret) =>
        protector.TryUnprotect(stored, out var kept) && kept is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(kept), Encoding.UTF8.GetBytes(secret));

    private static partial class Log
    {
        [LoggerMessage(1401, LogLevel.Information, "Stored a signing secret from a handshake for integration {IntegrationId}")]
        public static partial void Stored(ILogger logger, Guid integrationId);

        [LoggerMessage(1402, LogLevel.Error, "Could not store the handshake's signing secret for integration {IntegrationId} ({ExceptionType})")]
        public static partial void NotStored(ILogger logger, Guid integrationId, string exceptionType);

        [LoggerMessage(1403, LogLevel.Warning, "Stored the handshake's signing secret for integration {IntegrationId}, but could not reload the directory ({ExceptionType}): its next poll will")]
        public static partial void RefreshAfterStoreFailed(ILogger logger, Guid integrationId, string exceptionType);
    }
}
