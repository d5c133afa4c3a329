using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Webhooks.Contracts;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Outbox;

/// <summary>
/// The deliveries table is the outbox. The relay claims unpublished rows with a lease (FOR UPDATE SKIP LOCKED, so
/// ingress replicas take disjoint rows and do not publish the same delivery twice), sends each as a
/// <see cref="ProcessDelivery"/> with a broker confirm, then marks it published. It is woken by every commit,
/// and sweeps on a timer for what a stopped broker or a killed process left behind. A lease that expires
/// (the claiming process died) makes the row claimable again.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    IOptions<OutboxOptions> options,
    IngressTelemetry telemetry,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Something was committed: run a pass now rather than at the next sweep.</summary>
    public void Notify()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(backoff > TimeSpan.Zero ? backoff : settings.SweepInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                int claimed, failed;
                do
                {
                    (claimed, failed) = await RelayOnceAsync(settings, stoppingToken);
                }
                while (claimed == settings.BatchSize && failed == 0 && !stoppingToken.IsCancellationRequested);
                backoff = failed > 0 ? NextBackoff(backoff, settings) : TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.PassFailed(logger, e.GetType().Name, e.Message);
                backoff = NextBackoff(backoff, settings);
            }
        }
    }

    private static TimeSpan NextBackoff(TimeSpan current, OutboxOptions settings) =>
        current == TimeSpan.Zero ? settings.MinBackoff : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, settings.MaxBackoff.Ticks));

    /// <summary>One claim → send → mark pass. Returns how many rows were claimed and how many could not be sent.</summary>
    public async Task<(int Claimed, int Failed)> RelayOnceAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(settings, cancellationToken);
        if (claimed.Count == 0)
        {
            return (0, 0);
        }

        var sent = new List<Guid>(claimed.Count);
        var unsent = new List<Guid>();
        var results = await Task.WhenAll(claimed.Select(delivery => SendAsync(delivery.Message, delivery.TraceParent, settings.SendTimeout, cancellationToken)));
        for (var i = 0; i < claimed.Count; i++)
        {
            (results[i] ? sent : unsent).Add(claimed[i].Message.DeliveryId);
        }

        await MarkAsync(sent, unsent, cancellationToken);
        telemetry.Published(sent.Count);
        if (unsent.Count > 0)
        {
            Log.SendFailed(logger, unsent.Count, claimed.Count);
        }
        return (claimed.Count, unsent.Count);
    }

    private async Task<List<(ProcessDelivery Message, string? TraceParent)>> ClaimAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE deliveries d SET publish_lease_until = now() + $2
            FROM (SELECT id FROM deliveries
                  WHERE published_at IS NULL AND status = 'accepted'
                    AND (publish_lease_until IS NULL OR publish_lease_until < now())
                  ORDER BY received_at
                  LIMIT $1
                  FOR UPDATE SKIP LOCKED) claimable
            WHERE d.id = claimable.id
            RETURNING d.id, d.integration_id, d.provider, d.received_at, d.trace_parent
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.BatchSize });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = settings.LeaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        var claimed = new List<(ProcessDelivery, string?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (ProviderNames.TryParse(reader.GetString(2), out var provider))
            {
                claimed.Add((new ProcessDelivery(reader.GetGuid(0), reader.GetGuid(1), provider.Value, reader.GetFieldValue<DateTimeOffset>(3)),
                    reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }
        return claimed;
    }

    private async Task<bool> SendAsync(ProcessDelivery message, string? traceParent, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The send runs in this background loop, not in the request: continue the request's trace explicitly.
        using var activity = IngressTelemetry.StartRelay(message, traceParent);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var endpoint = await bus.GetSendEndpoint(QueueNames.SendAddressFor(message.Provider));
            await endpoint.Send(message, context =>
            {
                // The delivery id is the message id: every re-send of a delivery is recognisable as the same message.
                context.MessageId = message.DeliveryId;
                if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
                {
                    // An exchange with no queue bound would drop the message; mandatory turns that into an error.
                    rabbit.Mandatory = true;
                }
            }, timeoutSource.Token);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.SendError(logger, message.DeliveryId, message.Provider.ToWireName(), e.GetType().Name, e.Message);
            return false;
        }
    }

    private async Task MarkAsync(List<Guid> sent, List<Guid> unsent, CancellationToken cancellationToken)
    {
        // Status moves to queued only if a worker has not already finished with the delivery.
        await using var batch = dataSource.CreateBatch();
        if (sent.Count > 0)
        {
            var published = new NpgsqlBatchCommand("""
                UPDATE deliveries SET published_at = now(), publish_lease_until = NULL,
                       status = CASE WHEN status = 'accepted' THEN 'queued' ELSE status END
                WHERE id = ANY($1)
                """);
            published.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. sent] });
            batch.BatchCommands.Add(published);
        }
        if (unsent.Count > 0)
        {
            var released = new NpgsqlBatchCommand("UPDATE deliveries SET publish_lease_until = NULL WHERE id = ANY($1) AND published_at IS NULL");
            released.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. unsent] });
            batch.BatchCommands.Add(released);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Warning, "Could not send delivery {DeliveryId} to the {Provider} queue ({ExceptionType}: {Reason}); it stays in the outbox")]
        public static partial void SendError(ILogger logger, Guid deliveryId, string provider, string exceptionType, string reason);

        [LoggerMessage(1202, LogLevel.Warning, "{Unsent} of {Claimed} claimed deliveries are still unpublished; backing off")]
        public static partial void SendFailed(ILogger logger, int unsent, int claimed);

        [LoggerMessage(1203, LogLevel.Error, "Outbox pass failed ({ExceptionType}: {Reason}); will retry")]
        public static partial void PassFailed(ILogger logger, string exceptionType, string reason);
    }
}
