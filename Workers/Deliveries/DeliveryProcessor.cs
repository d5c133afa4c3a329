using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Applying;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// Processes one stored delivery: re-check the integration and account, parse, resolve targets, apply, record the
/// outcome, all in one transaction. Expected problems (inactive, unknown event, malformed payload, mapping errors)
/// are recorded outcomes, never exceptions; anything thrown is transient and the whole delivery is retried.
/// Callable without a bus.
/// </summary>
public sealed class DeliveryProcessor(
    WebhooksDbContext db,
    PayloadParsers parsers,
    TargetResolver targets,
    StatusMappingResolver mappings,
    ItemFetching fetching,
    ChangeApplier applier,
    TimeProvider clock,
    ILogger<DeliveryProcessor> logger)
{
    /// <summary>
    /// Statuses a delivery waits in. Once it has an outcome, only the transport brings it again (a lost ack, a second
    /// publish by the outbox): that copy leaves the outcome alone. A deliberate replay first sets it back to accepted.
    /// </summary>
    private static readonly DeliveryStatus[] Waiting = [DeliveryStatus.Accepted, DeliveryStatus.Queued, DeliveryStatus.DeadLettered];

    public async Task<DeliveryOutcome> ProcessAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        // Counted in its own statement, outside the transaction, so attempts that fail and roll back still show.
        var found = await db.Deliveries.Where(d => d.Id == deliveryId && Waiting.Contains(d.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        if (found == 0)
        {
            return await AlreadyFinishedAsync(deliveryId, cancellationToken)
                ?? throw new PermanentDeliveryException($"Delivery {deliveryId} does not exist.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked, and checked again: two copies of one message consumed at once must not both record an outcome.
        var delivery = await db.Deliveries.FromSql($"SELECT * FROM deliveries WHERE id = {deliveryId} FOR UPDATE").SingleAsync(cancellationToken);
        if (!Waiting.Contains(delivery.Status))
        {
            return Finished(delivery);
        }
        var outcome = await DecideAsync(delivery, cancellationToken);

        delivery.Status = outcome.Status;
        delivery.LastError = outcome.Reason;
        delivery.Applied = outcome.Applied;
        delivery.Duplicates = outcome.Duplicates;
        delivery.NoTarget = outcome.NoTarget;
        delivery.ProcessedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    private async Task<DeliveryOutcome?> AlreadyFinishedAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        var delivery = await db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, cancellationToken);
        return delivery is null ? null : Finished(delivery);
    }

    private static DeliveryOutcome Finished(Delivery delivery) =>
        new(delivery.Status, AlreadyFinished, delivery.Applied, delivery.Duplicates, delivery.NoTarget);

    /// <summary>The reason given when a redelivered message found its delivery already finished and changed nothing.</summary>
    public const string AlreadyFinished = "Already finished; this redelivery changed nothing.";

    private async Task<DeliveryOutcome> DecideAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var owner = await (
            from candidate in db.Integrations
            join account in db.Accounts on candidate.AccountId equals account.Id
            where candidate.Id == delivery.IntegrationId
            select new { Integration = candidate, AccountStatus = account.Status }).SingleOrDefaultAsync(cancellationToken);

        if (owner is null)
        {
            return DeliveryOutcome.Ignored($"Integration {delivery.IntegrationId} no longer exists.");
        }
        var integration = owner.Integration;
        if (!integration.Enabled)
        {
            return DeliveryOutcome.Ignored("The integration is disabled.");
        }
        if (owner.AccountStatus != AccountStatus.Active)
        {
            return DeliveryOutcome.Ignored($"The account is {owner.AccountStatus.ToString().ToLowerInvariant()}.");
        }

        if (delivery.SourceDeliveryId is { } sourceDeliveryId)
        {
            var earlier = await db.Deliveries
                .Where(d => d.IntegrationId == delivery.IntegrationId && d.SourceDeliveryId == sourceDeliveryId
                    && d.Id != delivery.Id && d.ReceivedAt < delivery.ReceivedAt)
                .Select(d => (Guid?)d.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (earlier is { } earlierId)
            {
                return new DeliveryOutcome(DeliveryStatus.Duplicate, $"The sender's retry of delivery {earlierId}; not applied again.");
            }
        }

        if (!parsers.TryGet(delivery.Provider, out var parser))
        {
            return DeliveryOutcome.Failed($"No payload parser for provider {delivery.Provider} yet.");
        }
        var parsed = parser.Parse(delivery.Body, ReadHeaders(delivery.Headers));
        switch (parsed.Outcome)
        {
            case ParseOutcome.Ignored:
                return DeliveryOutcome.Ignored(parsed.Reason ?? "Ignored by the parser.");
            case ParseOutcome.Failed:
                return DeliveryOutcome.Failed(parsed.Reason ?? "The parser rejected the payload.");
        }

        // Asana and Smartsheet events carry ids only: what they leave out is read from the sender's API (or, without
        // credentials, recorded in the history only, and the outcome says so).
        var fetched = await fetching.CompleteAsync(integration, parsed.Changes, cancellationToken);
        var changes = fetched.Changes;

        var statusMappings = new Dictionary<string, string>();
        if (changes.OfType<StatusChanged>().ToList() is { Count: > 0 } statusChanges)
        {
            var resolved = await mappings.ResolveAsync(integration, cancellationToken);
            if (resolved.Failure is { } failure)
            {
                return DeliveryOutcome.Failed(failure);
            }
            if (statusChanges.FirstOrDefault(s => !resolved.Mappings.ContainsKey(s.NewStatus)) is { } unmapped)
            {
                return DeliveryOutcome.Failed(
                    $"Unmapped status '{unmapped.NewStatus}': integration '{integration.Name}' (and its templates) has no statusMappings entry for it.");
            }
            statusMappings = new Dictionary<string, string>(resolved.Mappings, StringComparer.OrdinalIgnoreCase);
        }

        var context = new ApplyContext(delivery.Id, integration.Id, integration.Provider, integration.RunAsUserId, statusMappings);
        var counts = new ApplyCounts();
        var noTarget = 0;
        foreach (var item in changes.GroupBy(c => c.ExternalItemId))
        {
            var records = await targets.ResolveAndLockAsync(integration, item.Key, cancellationToken);
            if (records.Count == 0)
            {
                noTarget += item.Count();
                continue;
            }
            counts += await applier.ApplyAsync(context, records, item.ToList(), cancellationToken);
        }

        Log.Applied(logger, counts.Applied, counts.Duplicates, noTarget);
        return DeliveryOutcome.FromCounts(counts.Applied, counts.Duplicates, noTarget) with { Reason = fetched.Note };
    }

    private static Dictionary<string, string> ReadHeaders(string json)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(json))
        {
            return headers;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return headers;
            }
            foreach (var property in document.RootElement.EnumerateObject())
            {
                headers[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() ?? "" : property.Value.GetRawText();
            }
        }
        catch (JsonException)
        {
            // Headers are a convenience for parsers; unreadable ones are treated as none.
        }
        return headers;
    }
}
