using System.Globalization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.DeadLetters;

/// <summary>Which stored deliveries <c>deliveries replay</c> takes. Criteria combine; at least one is required.</summary>
public sealed record StoredDeliveryFilter
{
    public IReadOnlyList<Guid> Ids { get; init; } = [];
    public IReadOnlyList<DeliveryStatus> Statuses { get; init; } = [];
    public Guid? IntegrationId { get; init; }
    public Provider? Provider { get; init; }
    /// <summary>Received at or after.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Received before.</summary>
    public DateTimeOffset? Until { get; init; }

    public bool SelectsSomething => Ids.Count > 0 || Statuses.Count > 0 || IntegrationId is not null || Provider is not null || Since is not null || Until is not null;

    internal IQueryable<Delivery> Apply(IQueryable<Delivery> deliveries)
    {
        // Handshakes and rejected deliveries were never meant to be processed.
        var query = deliveries.Where(d => d.Status != DeliveryStatus.Handshake && d.Status != DeliveryStatus.Rejected);
        if (Ids.Count > 0)
        {
            query = query.Where(d => Ids.Contains(d.Id));
        }
        if (Statuses.Count > 0)
        {
            query = query.Where(d => Statuses.Contains(d.Status));
        }
        if (IntegrationId is { } integration)
        {
            query = query.Where(d => d.IntegrationId == integration);
        }
        if (Provider is { } provider)
        {
            query = query.Where(d => d.Provider == provider);
        }
        if (Since is { } since)
        {
            query = query.Where(d => d.ReceivedAt >= since);
        }
        if (Until is { } until)
        {
            query = query.Where(d => d.ReceivedAt < until);
        }
        return query;
    }
}

/// <summary>
/// Processes stored deliveries again from PostgreSQL. Each delivery is put back in the outbox (status
/// <c>accepted</c>, unpublished) under a publish lease, so a running ingress relay leaves it alone; then this tool sends
/// <see cref="ProcessDelivery"/> itself, exactly as the relay does (<c>exchange:webhooks-&lt;provider&gt;</c>, MessageId =
/// delivery id, mandatory, confirmed), and marks it published and <c>queued</c> unless a worker already finished it.
/// It needs no ingress running. If a send fails, the lease is released and the ingress relay sends it when it next
/// sweeps. A crash in between leaves at most a second copy, which the worker ignores once the delivery has an outcome;
/// the applied-change ledger makes re-applying a change a no-op either way.
/// </summary>
public sealed class StoredDeliveryReplay(OperatorSettings settings, TextWriter output, TextWriter progress)
{
    public const int BatchSize = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    public async Task<int> RunAsync(StoredDeliveryFilter filter, bool dryRun, bool outboxOnly, int max, CancellationToken cancellationToken)
    {
        var connectionString = settings.RequireConnectionString();
        List<(Guid Id, Provider Provider, string Status)> selected;
        try
        {
            await using var db = DeliveryLookup.Open(connectionString);
            selected = (await filter.Apply(db.Deliveries.AsNoTracking())
                    .OrderBy(d => d.ReceivedAt).ThenBy(d => d.Id)
                    .Take(max)
                    .Select(d => new { d.Id, d.Provider, d.Status })
                    .ToListAsync(cancellationToken))
                .Select(d => (d.Id, d.Provider, SnakeCaseEnumConverter<DeliveryStatus>.ToName(d.Status)))
                .ToList();
        }
        catch (Exception e) when (e is NpgsqlException || e.InnerException is NpgsqlException)
        {
            throw DeliveryLookup.DatabaseUnreachable(connectionString, e);
        }

        if (dryRun)
        {
            foreach (var (id, provider, status) in selected)
            {
                await output.WriteLineAsync($"Would replay delivery {id} ({provider.ToWireName()}, now {status})");
            }
            await output.WriteLineAsync($"Dry run: {selected.Count} deliver{(selected.Count == 1 ? "y" : "ies")} would be set back to accepted and " +
                (outboxOnly ? "left for the ingress outbox relay" : "sent to their provider's queue") + "; nothing was changed.");
            return 0;
        }
        if (selected.Count == 0)
        {
            await output.WriteLineAsync("No stored delivery matches.");
            return 0;
        }

        IBusControl? bus = null;
        var sent = 0;
        var left = 0;
        try
        {
            if (!outboxOnly)
            {
                bus = await StartBusAsync(cancellationToken);
            }
            foreach (var batch in selected.Chunk(BatchSize))
            {
                var claimed = await ClaimAsync(connectionString, [.. batch.Select(d => d.Id)], outboxOnly, cancellationToken);
                if (bus is null)
                {
                    left += claimed.Count;
                }
                else
                {
                    foreach (var message in claimed)
                    {
                        if (await SendAsync(bus, message, cancellationToken))
                        {
                            await MarkAsync(connectionString, message.DeliveryId, sent: true, cancellationToken);
                            sent++;
                        }
                        else
                        {
                            await MarkAsync(connectionString, message.DeliveryId, sent: false, cancellationToken);
                            left++;
                        }
                    }
                }
                await progress.WriteLineAsync($"… {sent + left}/{selected.Count} deliveries replayed");
            }
        }
        finally
        {
            if (bus is not null)
            {
                await bus.StopAsync(CancellationToken.None);
            }
        }

        await output.WriteLineAsync(outboxOnly
            ? $"Set {left} deliver{(left == 1 ? "y" : "ies")} back to accepted: the ingress outbox relay sends them."
            : $"Replayed {sent} deliver{(sent == 1 ? "y" : "ies")}: sent to their provider's queue and marked queued." +
              (left > 0 ? $" {left} could not be sent and were left accepted for the ingress outbox relay." : ""));
        return left > 0 && !outboxOnly ? 1 : 0;
    }

    private static async Task<List<ProcessDelivery>> ClaimAsync(string connectionString, Guid[] ids, bool outboxOnly, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // The lease keeps a running ingress relay off the rows while this tool sends them; with --outbox-only there is
        // none, so the relay takes them at once (what the admin API's replay does).
        await using var command = new NpgsqlCommand("""
            UPDATE deliveries SET status = 'accepted', published_at = NULL, last_error = NULL,
                   publish_lease_until = CASE WHEN $2 THEN NULL ELSE now() + $3 END
            WHERE id = ANY($1) AND status NOT IN ('handshake', 'rejected')
            RETURNING id, integration_id, provider, received_at
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = outboxOnly });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Lease, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        var claimed = new List<ProcessDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (ProviderNames.TryParse(reader.GetString(2), out var provider))
            {
                claimed.Add(new ProcessDelivery(reader.GetGuid(0), reader.GetGuid(1), provider.Value, reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }
        return claimed;
    }

    private static async Task MarkAsync(string connectionString, Guid id, bool sent, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Queued only if a worker has not already finished it (it may have been faster than this update).
        await using var command = new NpgsqlCommand(sent
            ? "UPDATE deliveries SET published_at = now(), publish_lease_until = NULL, status = CASE WHEN status = 'accepted' THEN 'queued' ELSE status END WHERE id = $1"
            : "UPDATE deliveries SET publish_lease_until = NULL WHERE id = $1 AND published_at IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IBusControl> StartBusAsync(CancellationToken cancellationToken)
    {
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
            cfg.Host(settings.Host, (ushort)settings.Port, settings.VirtualHost, "webhooks-replay", h =>
            {
                h.Username(settings.User);
                h.Password(settings.Password);
            }));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await bus.StartAsync(timeout.Token);
            return bus;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new CommandFailedException(
                $"RabbitMQ is not reachable at {settings.DescribeBroker()}: {e.Message}. {OperatorSettings.BrokerSettingsHint} " +
                "Or pass --outbox-only to leave the sending to a running ingress.", e);
        }
    }

    private async Task<bool> SendAsync(IBus bus, ProcessDelivery message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SendTimeout);
        try
        {
            var endpoint = await bus.GetSendEndpoint(QueueNames.SendAddressFor(message.Provider));
            await endpoint.Send(message, context =>
            {
                context.MessageId = message.DeliveryId;
                if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
                {
                    rabbit.Mandatory = true;
                }
            }, timeout.Token);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Could not send delivery {message.DeliveryId} to {QueueNames.For(message.Provider)} ({e.GetType().Name}: {e.Message}); left for the ingress outbox relay."));
            return false;
        }
    }
}
