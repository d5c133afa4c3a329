using System.Globalization;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// What the <c>dead-letters</c> commands do, callable without the command line: list, show, replay and purge the
/// providers' error queues (<c>webhooks-&lt;provider&gt;_error</c>). The database is read only to describe deliveries.
/// </summary>
public sealed class DeadLetterOperations(ErrorQueueBroker broker, TextWriter output, TextWriter progress, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The most messages one pass reads (they stay unacked meanwhile, under the broker's 30-minute consumer timeout).</summary>
    public const int DefaultLimit = 1000;

    /// <summary>Called after a replay's publish is confirmed and before its ack (tests simulate a crash there).</summary>
    internal Func<ErrorQueuePass, ErrorQueueMessage, Task>? AfterPublishConfirmed { get; set; }

    public async Task<int> ListAsync(DeadLetterFilter filter, bool json, int limit, CancellationToken cancellationToken)
    {
        var queues = new List<ListedQueue>();
        foreach (var provider in filter.Providers)
        {
            var messages = new List<ErrorQueueMessage>();
            uint? count;
            await using (var pass = await broker.OpenPassAsync(provider, cancellationToken))
            {
                count = pass?.Count;
                while (pass is not null && messages.Count < limit && await pass.NextAsync(cancellationToken) is { } message)
                {
                    pass.Hold(message);
                    if (filter.Matches(message))
                    {
                        messages.Add(message);
                    }
                }
            }
            var facts = await FactsAsync(messages, cancellationToken);
            queues.Add(new ListedQueue(QueueNames.ErrorQueueFor(provider), count,
                messages.Select(m => Describe(m, facts.GetValueOrDefault(m.DeliveryId ?? Guid.Empty))).ToList()));
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(queues.Where(q => q.Count is not null || filter.Providers.Count == 1), Json));
            return 0;
        }
        foreach (var queue in queues.Where(q => q.Count is not null || filter.Providers.Count == 1))
        {
            await output.WriteLineAsync(queue.Count is null
                ? $"{queue.Queue}: does not exist (nothing ever failed there)"
                : $"{queue.Queue}: {queue.Count} message(s){(filter.SelectsSomething ? $", {queue.Messages.Count} matching" : "")}");
            if (queue.Messages.Count > 0)
            {
                await WriteTableAsync(queue.Messages);
            }
        }
        if (queues.All(q => q.Count is null or 0))
        {
            await output.WriteLineAsync("No dead letters.");
        }
        return 0;
    }

    public async Task<int> ShowAsync(string id, IReadOnlyList<Provider> providers, CancellationToken cancellationToken)
    {
        ErrorQueueMessage? found = null;
        foreach (var provider in providers)
        {
            await using var pass = await broker.OpenPassAsync(provider, cancellationToken);
            while (pass is not null && await pass.NextAsync(cancellationToken) is { } message)
            {
                pass.Hold(message);
                if (string.Equals(message.MessageId, id, StringComparison.OrdinalIgnoreCase) || message.DeliveryId?.ToString() == id.ToLowerInvariant())
                {
                    found = message;
                    break;
                }
            }
            if (found is not null)
            {
                break;
            }
        }

        var deliveryId = found?.DeliveryId ?? (Guid.TryParse(id, out var parsed) ? parsed : null);
        var facts = deliveryId is { } did && broker.Settings.ConnectionString is { } cs
            ? (await DeliveryLookup.FindAsync(cs, [did], cancellationToken)).GetValueOrDefault(did)
            : null;
        if (found is null && facts is null)
        {
            await output.WriteLineAsync($"No message or delivery {id} in {string.Join(", ", providers.Select(QueueNames.ErrorQueueFor))}" +
                (broker.Settings.ConnectionString is null ? " (no ConnectionStrings:Webhooks to look in the database)." : " or in the database."));
            return 1;
        }

        if (found is null)
        {
            await output.WriteLineAsync($"Message: not in any error queue ({string.Join(", ", providers.Select(QueueNames.ErrorQueueFor))}).");
        }
        else
        {
            await output.WriteLineAsync($"Message {found.MessageId} in {QueueNames.ErrorQueueFor(found.Provider)}");
            await WriteFieldAsync("delivery id", found.DeliveryId?.ToString());
            await WriteFieldAsync("integration id", found.IntegrationId?.ToString());
            await WriteFieldAsync("content type", found.Properties.ContentType);
            await WriteFieldAsync("replayed before", found.ReplayCount.ToString(CultureInfo.InvariantCulture));
            await output.WriteLineAsync("Headers:");
            foreach (var (name, value) in found.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                await WriteFieldAsync("  " + name, value);
            }
        }
        if (facts is null)
        {
            await output.WriteLineAsync(broker.Settings.ConnectionString is null
                ? "Delivery: unknown (set ConnectionStrings__Webhooks to read it from the database)."
                : "Delivery: not in the database.");
            return 0;
        }
        await output.WriteLineAsync($"Delivery {facts.Id}");
        await WriteFieldAsync("status", facts.Status);
        await WriteFieldAsync("error", facts.Error);
        await WriteFieldAsync("attempts", facts.Attempts.ToString(CultureInfo.InvariantCulture));
        await WriteFieldAsync("outcome", $"applied {facts.Applied}, duplicates {facts.Duplicates}, no target {facts.NoTarget}");
        await WriteFieldAsync("received at", Format(facts.ReceivedAt));
        await WriteFieldAsync("published at", Format(facts.PublishedAt));
        await WriteFieldAsync("processed at", Format(facts.ProcessedAt));
        await output.WriteLineAsync($"Integration {facts.IntegrationId}");
        await WriteFieldAsync("name", facts.IntegrationName ?? "(deleted)");
        await WriteFieldAsync("provider", facts.IntegrationProvider);
        await WriteFieldAsync("enabled", facts.IntegrationEnabled?.ToString().ToLowerInvariant());
        await WriteFieldAsync("account status", facts.AccountStatus);
        return 0;
    }

    public async Task<int> ReplayAsync(DeadLetterFilter filter, bool dryRun, int max, CancellationToken cancellationToken)
    {
        var replayed = 0;
        var left = 0;
        foreach (var provider in filter.Providers)
        {
            await using var pass = await broker.OpenPassAsync(provider, cancellationToken);
            if (pass is null)
            {
                continue;
            }
            if (!dryRun && pass.Count > 0 && !await broker.ExchangeExistsAsync(pass.TargetExchange, cancellationToken))
            {
                throw new CommandFailedException($"Exchange {pass.TargetExchange} does not exist: run `Webhooks.Workers deploy-topology` first. Nothing was replayed from {pass.Queue}.");
            }
            if (AfterPublishConfirmed is { } hook)
            {
                pass.AfterPublishConfirmed = message => hook(pass, message);
            }
            var seen = new HashSet<string>();
            while (replayed < max && await pass.NextAsync(cancellationToken) is { } message)
            {
                // A second copy of a message already replayed in this pass (left by an interrupted replay) waits for the next pass.
                if (!filter.Matches(message) || !seen.Add(message.MessageId ?? message.DeliveryTag.ToString(CultureInfo.InvariantCulture)))
                {
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (message.SourceQueue is { } source && source != pass.TargetExchange)
                {
                    await progress.WriteLineAsync($"Skipped {message.MessageId}: it failed on {source}, not {pass.TargetExchange}.");
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (dryRun)
                {
                    pass.Hold(message);
                    await output.WriteLineAsync($"Would replay {message.MessageId} (delivery {message.DeliveryId}, {message.ExceptionType}) to {pass.TargetExchange}");
                }
                else
                {
                    await pass.ReplayAsync(message, clock.GetUtcNow(), cancellationToken);
                    await output.WriteLineAsync($"Replayed {message.MessageId} (delivery {message.DeliveryId}, {message.ExceptionType}) to {pass.TargetExchange}");
                }
                replayed++;
                if (replayed % 100 == 0)
                {
                    await progress.WriteLineAsync($"… {replayed} {(dryRun ? "selected" : "replayed")}");
                }
            }
        }
        await output.WriteLineAsync(dryRun
            ? $"Dry run: {replayed} message(s) would be replayed; nothing was changed."
            : $"Replayed {replayed} message(s); {left} not matching left in the error queue(s).");
        return 0;
    }

    public async Task<int> PurgeAsync(DeadLetterFilter filter, string? archivePath, CancellationToken cancellationToken)
    {
        await using var archive = archivePath is null ? null : new StreamWriter(archivePath, append: true, new UTF8Encoding(false));
        var removed = 0;
        var left = 0;
        foreach (var provider in filter.Providers)
        {
            await using var pass = await broker.OpenPassAsync(provider, cancellationToken);
            while (pass is not null && await pass.NextAsync(cancellationToken) is { } message)
            {
                if (!filter.Matches(message))
                {
                    pass.Hold(message);
                    left++;
                    continue;
                }
                if (archive is not null)
                {
                    // Written and flushed before the ack: a purge with an archive can be undone.
                    await archive.WriteLineAsync(JsonSerializer.Serialize(Archived(pass.Queue, message, clock.GetUtcNow())));
                    await archive.FlushAsync(cancellationToken);
                }
                await pass.RemoveAsync(message, cancellationToken);
                removed++;
            }
        }
        await output.WriteLineAsync($"Purged {removed} message(s){(archivePath is null ? "" : $" (archived to {archivePath})")}; {left} not matching left in the error queue(s).");
        return 0;
    }

    private async Task<Dictionary<Guid, DeliveryFacts>> FactsAsync(List<ErrorQueueMessage> messages, CancellationToken cancellationToken) =>
        broker.Settings.ConnectionString is { } cs
            ? await DeliveryLookup.FindAsync(cs, messages.Select(m => m.DeliveryId).OfType<Guid>().Distinct().ToList(), cancellationToken)
            : [];

    private static ListedMessage Describe(ErrorQueueMessage message, DeliveryFacts? facts) => new(
        message.MessageId, message.DeliveryId, message.IntegrationId ?? facts?.IntegrationId, facts?.IntegrationName,
        message.ExceptionType, message.FaultMessage, message.FailedAt,
        facts?.Attempts ?? (message.RetryCount is { } retries ? retries + 1 : null), message.RetryCount, facts?.Status, message.ReplayCount);

    private async Task WriteTableAsync(List<ListedMessage> messages)
    {
        string[] heading = ["DELIVERY", "INTEGRATION", "FAILED AT (UTC)", "ATTEMPTS", "EXCEPTION", "REASON"];
        var rows = messages.Select(m => new[]
        {
            m.DeliveryId?.ToString() ?? m.MessageId ?? "?",
            m.IntegrationName is { } name ? $"{name} ({m.IntegrationId})" : m.IntegrationId?.ToString() ?? "?",
            m.FailedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",
            m.Attempts?.ToString(CultureInfo.InvariantCulture) ?? "?",
            m.ExceptionType,
            m.Reason.Length > 80 ? m.Reason[..77] + "..." : m.Reason,
        }).ToList();
        var widths = heading.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(heading))
        {
            await output.WriteLineAsync("  " + string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private Task WriteFieldAsync(string name, string? value) =>
        output.WriteLineAsync($"  {name + ":",-18} {(value ?? "-").ReplaceLineEndings(Environment.NewLine + new string(' ', 21))}");

    private static string? Format(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private static ArchivedMessage Archived(string queue, ErrorQueueMessage message, DateTimeOffset now) => new(
        queue, now, message.MessageId, message.Properties.CorrelationId, message.Properties.ContentType,
        message.Properties.Persistent, message.Headers.ToDictionary(h => h.Key, h => h.Value), Convert.ToBase64String(message.Body));

    public sealed record ListedQueue(string Queue, uint? Count, List<ListedMessage> Messages);

    public sealed record ListedMessage(
        string? MessageId, Guid? DeliveryId, Guid? IntegrationId, string? IntegrationName, string ExceptionType, string Reason,
        DateTimeOffset? FailedAt, int? Attempts, int? RetryCount, string? DeliveryStatus, int ReplayCount);

    /// <summary>One line of a purge archive: enough to publish the message again by hand.</summary>
    public sealed record ArchivedMessage(
        string Queue, DateTimeOffset PurgedAt, string? MessageId, string? CorrelationId, string? ContentType, bool Persistent,
        Dictionary<string, string> Headers, string BodyBase64);
}
