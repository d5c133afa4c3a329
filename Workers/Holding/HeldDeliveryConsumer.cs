using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Workers.Holding;

/// <summary>
/// Drains <see cref="QueueNames.Holding"/>: stores each held delivery as the ingress would have (status accepted,
/// not yet published), idempotent on the delivery id. The ingress's outbox relay then publishes it like any other.
/// Being on the broker proves nothing (anyone with broker credentials can publish there), so a held delivery is stored
/// only when its <see cref="HeldDeliverySeal"/> verifies and its integration exists with the provider and account the
/// message names; otherwise it is refused, never stored, and MassTransit moves it to <c>webhooks-holding_error</c>
/// (kept for an operator: a real delivery refused by a misconfiguration can still be recovered from there).
/// While PostgreSQL is unreachable a held delivery is never dead-lettered: after <see cref="HoldingOptions.RetryDelay"/>
/// it is sent back to the tail of the holding queue (confirmed) and this copy is acknowledged, however long the outage.
/// </summary>
public sealed partial class HeldDeliveryConsumer(
    NpgsqlDataSource dataSource,
    HeldDeliverySeal seal,
    IOptions<HoldingOptions> options,
    ILogger<HeldDeliveryConsumer> logger) : IConsumer<HeldDelivery>
{
    public async Task Consume(ConsumeContext<HeldDelivery> context)
    {
        var message = context.Message;
        bool stored;
        try
        {
            if (await RefusalAsync(message, context.CancellationToken) is { } reason)
            {
                Log.Refused(logger, message.DeliveryId, message.IntegrationId, reason);
                throw new HeldDeliveryRefusedException($"Held delivery {message.DeliveryId} refused, not stored: {reason}");
            }
            stored = await StoreAsync(message, context.CancellationToken);
        }
        catch (Exception e) when (IsUnreachable(e) && !context.CancellationToken.IsCancellationRequested)
        {
            Log.Waiting(logger, message.DeliveryId, e.GetType().Name);
            await Task.Delay(options.Value.RetryDelay, context.CancellationToken);
            var holding = await context.GetSendEndpoint(QueueNames.HoldingSendAddress);
            await context.Forward(holding, message);
            return;
        }
        Log.Stored(logger, message.DeliveryId, stored);
    }

    /// <summary>Why the message must not be stored, or null. Only names and ids go into the reason: never the body, headers or seal.</summary>
    private async Task<string?> RefusalAsync(HeldDelivery message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.Seal) || message.AccountId is null)
        {
            return "it carries no ingress seal.";
        }
        if (!seal.Verifies(message))
        {
            return "its seal does not verify (not made by an ingress with this key ring, or made for other fields).";
        }
        await using var command = dataSource.CreateCommand("SELECT provider, account_id FROM integrations WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = message.IntegrationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return $"integration {message.IntegrationId} does not exist.";
        }
        var provider = reader.GetString(0);
        if (provider != message.Provider.ToWireName())
        {
            return $"integration {message.IntegrationId} is a {provider} integration, the message says {message.Provider.ToWireName()}.";
        }
        if (reader.GetGuid(1) != message.AccountId)
        {
            return $"integration {message.IntegrationId} belongs to another account than the message says.";
        }
        return null;
    }

    /// <summary>True when the row was inserted; false when it was already there (a redelivery, or the ingress's write had in fact committed).</summary>
    private async Task<bool> StoreAsync(HeldDelivery message, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO deliveries (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id,
                                    signature_verified, status, attempts, applied, duplicates, no_target)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, 0, 0)
            ON CONFLICT (id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = message.DeliveryId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = message.IntegrationId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Provider.ToWireName(), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = message.ReceivedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Headers, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)message.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Body, NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)message.SourceDeliveryId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = message.SignatureVerified, NpgsqlDbType = NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter { Value = SnakeCaseEnumConverter<DeliveryStatus>.ToName(DeliveryStatus.Accepted), NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The database is down or restarting (as opposed to refusing this row, which is dead-lettered after retries).</summary>
    private static bool IsUnreachable(Exception e) => e switch
    {
        HeldDeliveryRefusedException => false,
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnreachable(inner),
    };

    private static partial class Log
    {
        [LoggerMessage(2501, LogLevel.Information, "Stored held delivery {DeliveryId} (new: {Inserted})")]
        public static partial void Stored(ILogger logger, Guid deliveryId, bool inserted);

        [LoggerMessage(2502, LogLevel.Warning, "PostgreSQL is still unreachable ({ExceptionType}); held delivery {DeliveryId} goes back to the holding queue")]
        public static partial void Waiting(ILogger logger, Guid deliveryId, string exceptionType);

        [LoggerMessage(2503, LogLevel.Warning, "Refused held delivery {DeliveryId} for integration {IntegrationId}: {Reason} Not stored; moved to webhooks-holding_error")]
        public static partial void Refused(ILogger logger, Guid deliveryId, Guid integrationId, string reason);
    }
}
