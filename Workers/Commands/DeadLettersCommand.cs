using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Operations.DeadLetters;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>dead-letters list|show|replay|purge</c>: the providers' error queues, through the same
/// <see cref="DeadLetterQueues"/> as the admin API's <c>/api/v1/admin/dead-letters</c>. This class only parses and prints.
/// </summary>
public static class DeadLettersCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public const int DefaultLimit = 1000;

    public static Command Create(CommandEnvironment environment)
    {
        var command = new Command("dead-letters", "Messages that failed past the retry limit, in webhooks-<provider>_error");
        command.Subcommands.Add(List(environment));
        command.Subcommands.Add(Show(environment));
        command.Subcommands.Add(Replay(environment));
        command.Subcommands.Add(Purge(environment));
        return command;
    }

    private sealed class FilterOptions
    {
        public Option<string[]> Provider { get; } = new("--provider", "-p") { Description = "Only this provider's error queue (repeatable); all by default" };
        public Option<string[]> Id { get; } = new("--message-id", "--id") { Description = "A message id or delivery id (repeatable)" };
        public Option<string> Exception { get; } = new("--exception") { Description = "Exception type, e.g. PostgresException" };
        public Option<string> Since { get; } = new("--since") { Description = "Failed at or after (ISO 8601, UTC unless an offset is given)" };
        public Option<string> Until { get; } = new("--until") { Description = "Failed before (ISO 8601)" };
        public Argument<string[]> Ids { get; } = new("ids") { Description = "Message ids or delivery ids (the same as --message-id)", Arity = ArgumentArity.ZeroOrMore };

        public void AddTo(Command command)
        {
            command.Options.Add(Provider);
            command.Options.Add(Id);
            command.Options.Add(Exception);
            command.Options.Add(Since);
            command.Options.Add(Until);
        }

        /// <summary>Also takes the ids as arguments: <c>replay &lt;id&gt;</c>, as <c>show &lt;id&gt;</c> does.</summary>
        public void AddWithIdsTo(Command command)
        {
            AddTo(command);
            command.Arguments.Add(Ids);
        }

        /// <summary>A provider named is a selection too: every message of its error queue.</summary>
        public bool NamesProvider(ParseResult result) => result.GetValue(Provider) is { Length: > 0 };

        public IReadOnlyList<Provider> Providers(ParseResult result) => CommandOptions.Providers(result.GetValue(Provider));

        public DeadLetterFilter Read(ParseResult result) => new()
        {
            Ids = new HashSet<string>((result.GetValue(Id) ?? []).Concat(result.GetValue(Ids) ?? []), StringComparer.OrdinalIgnoreCase),
            ExceptionType = result.GetValue(Exception) is { Length: > 0 } type ? type : null,
            Since = CommandOptions.Time(result.GetValue(Since), "--since"),
            Until = CommandOptions.Time(result.GetValue(Until), "--until"),
        };
    }

    private static Command List(CommandEnvironment environment)
    {
        var filter = new FilterOptions();
        var json = new Option<bool>("--json") { Description = "Machine-readable output: one page per queue, as GET /api/v1/admin/dead-letters/{provider} answers" };
        var limit = new Option<int>("--limit") { Description = "Show at most this many per queue, newest failure first", DefaultValueFactory = _ => DefaultLimit };
        var offset = new Option<int>("--offset") { Description = "Skip this many matching messages first", DefaultValueFactory = _ => 0 };
        var list = new Command("list", "Count and describe the dead letters (they are read and put back; RabbitMQ has no browse)") { json, limit, offset };
        filter.AddTo(list);
        list.SetAction(async (result, cancellationToken) =>
        {
            var providers = filter.Providers(result);
            var criteria = filter.Read(result);
            var pageSize = CommandOptions.Positive(result.GetValue(limit), "--limit");
            var skip = CommandOptions.NotNegative(result.GetValue(offset), "--offset");
            var pages = await environment.WithDeadLettersAsync(async queues =>
            {
                var read = new List<DeadLetterPage>();
                foreach (var provider in providers)
                {
                    read.Add(await queues.ListAsync(provider, criteria, skip, pageSize, cancellationToken));
                }
                return read;
            }, cancellationToken);
            var shown = pages.Where(p => p.MessageCount is not null || providers.Count == 1).ToList();
            if (result.GetValue(json))
            {
                await environment.Output.WriteLineAsync(JsonSerializer.Serialize(shown, Json));
                return WorkerCommands.Ok;
            }
            foreach (var page in shown)
            {
                await environment.Output.WriteLineAsync(page.MessageCount is null
                    ? $"{page.Queue}: does not exist (nothing ever failed there)"
                    : $"{page.Queue}: {page.MessageCount} message(s){(criteria.SelectsSomething ? $", {page.Matching} matching" : "")}");
                if (page.Messages.Count > 0)
                {
                    await WriteTableAsync(environment.Output, page.Messages);
                }
            }
            if (pages.All(p => p.MessageCount is null or 0))
            {
                await environment.Output.WriteLineAsync("No dead letters.");
            }
            return WorkerCommands.Ok;
        });
        return list;
    }

    private static Command Show(CommandEnvironment environment)
    {
        var id = new Argument<string>("id") { Description = "Message id or delivery id" };
        var provider = new Option<string[]>("--provider", "-p") { Description = "Only look in this provider's error queue" };
        var show = new Command("show", "Everything known about one dead letter: fault headers, the delivery, the integration") { id, provider };
        show.SetAction(async (result, cancellationToken) =>
        {
            var providers = CommandOptions.Providers(result.GetValue(provider));
            var wanted = result.GetValue(id)!;
            var detail = await environment.WithDeadLettersAsync(queues => queues.FindAsync(wanted, providers, cancellationToken), cancellationToken);
            var output = environment.Output;
            if (detail is null)
            {
                await output.WriteLineAsync($"No message or delivery {wanted} in {string.Join(", ", providers.Select(QueueNames.ErrorQueueFor))} or in the database.");
                return WorkerCommands.Failed;
            }
            if (detail.Message is not { } message)
            {
                await output.WriteLineAsync($"Message: not in any error queue ({string.Join(", ", providers.Select(QueueNames.ErrorQueueFor))}).");
            }
            else
            {
                await output.WriteLineAsync($"Message {message.MessageId} in {detail.Queue}");
                await WriteFieldAsync(output, "delivery id", message.DeliveryId?.ToString());
                await WriteFieldAsync(output, "integration id", message.IntegrationId?.ToString());
                await WriteFieldAsync(output, "content type", detail.ContentType);
                await output.WriteLineAsync("Headers:");
                foreach (var (name, value) in detail.Headers ?? new Dictionary<string, string>())
                {
                    await WriteFieldAsync(output, "  " + name, value);
                }
            }
            if (detail.Delivery is not { } facts)
            {
                await output.WriteLineAsync("Delivery: not in the database.");
                return WorkerCommands.Ok;
            }
            await output.WriteLineAsync($"Delivery {facts.Id}");
            await WriteFieldAsync(output, "status", facts.Status);
            await WriteFieldAsync(output, "error", facts.Error);
            await WriteFieldAsync(output, "attempts", facts.Attempts.ToString(CultureInfo.InvariantCulture));
            await WriteFieldAsync(output, "outcome", $"applied {facts.Applied}, duplicates {facts.Duplicates}, no target {facts.NoTarget}");
            await WriteFieldAsync(output, "received at", Format(facts.ReceivedAt));
            await WriteFieldAsync(output, "published at", Format(facts.PublishedAt));
            await WriteFieldAsync(output, "processed at", Format(facts.ProcessedAt));
            await WriteFieldAsync(output, "last replay", facts.ReplayId?.ToString());
            await output.WriteLineAsync($"Integration {facts.IntegrationId}");
            await WriteFieldAsync(output, "name", facts.IntegrationName ?? "(deleted)");
            await WriteFieldAsync(output, "provider", facts.IntegrationProvider);
            await WriteFieldAsync(output, "enabled", facts.IntegrationEnabled?.ToString().ToLowerInvariant());
            await WriteFieldAsync(output, "account status", facts.AccountStatus);
            return WorkerCommands.Ok;
        });
        return show;
    }

    private static Command Replay(CommandEnvironment environment)
    {
        var filter = new FilterOptions();
        var all = new Option<bool>("--all") { Description = "Every message (required when no filter is given)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be replayed; change nothing" };
        var max = new Option<int?>("--max") { Description = "Replay at most this many messages (all by default)" };
        var replay = new Command("replay",
            "Put the deliveries the messages name back in the outbox (a running ingress sends them), then remove the messages") { all, dryRun, max };
        filter.AddWithIdsTo(replay);
        replay.SetAction(async (result, cancellationToken) =>
        {
            var providers = filter.Providers(result);
            var criteria = RequireSelection(filter.Read(result), result.GetValue(all) || filter.NamesProvider(result), "replay");
            var limit = result.GetValue(max) is { } given ? CommandOptions.Positive(given, "--max") : int.MaxValue;
            var isDryRun = result.GetValue(dryRun);
            var replayId = Guid.CreateVersion7();
            var replays = await environment.WithDeadLettersAsync(async queues =>
            {
                var done = new List<DeadLetterReplay>();
                foreach (var provider in providers)
                {
                    var left = limit - done.Sum(r => r.Replayed);
                    if (left <= 0)
                    {
                        break;
                    }
                    done.Add(await queues.ReplayAsync(provider, criteria, isDryRun, left, replayId, cancellationToken));
                }
                return done;
            }, cancellationToken);

            var output = environment.Output;
            foreach (var queue in replays)
            {
                foreach (var message in queue.Messages)
                {
                    await output.WriteLineAsync(isDryRun
                        ? $"Would replay {message.MessageId} (delivery {message.DeliveryId}, {message.ExceptionType}) from {queue.Queue}"
                        : $"Replayed {message.MessageId} (delivery {message.DeliveryId}, {message.ExceptionType}) from {queue.Queue}");
                }
                foreach (var skipped in queue.Skipped)
                {
                    await environment.Error.WriteLineAsync($"Skipped {skipped.MessageId} in {queue.Queue}: {skipped.Reason}");
                }
            }
            var replayed = replays.Sum(r => r.Replayed);
            if (isDryRun)
            {
                await output.WriteLineAsync($"Dry run: {replayed} message(s) would be replayed; nothing was changed.");
                return WorkerCommands.Ok;
            }
            await output.WriteLineAsync($"Replayed {replayed} message(s); {replays.Sum(r => r.Left)} not matching left in the error queue(s).");
            if (replayed > 0)
            {
                await output.WriteLineAsync($"Their {replays.Sum(r => r.Deliveries)} deliveries are back in the outbox as replay {replayId}: a running ingress sends them now. " +
                    $"Progress: {WorkerCommands.ProgramName} deliveries progress {replayId}");
            }
            return WorkerCommands.Ok;
        });
        return replay;
    }

    private static Command Purge(CommandEnvironment environment)
    {
        var filter = new FilterOptions();
        var all = new Option<bool>("--all") { Description = "Every message (required when no filter is given)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation" };
        var archive = new Option<string>("--archive") { Description = "Append each purged message (properties, headers, base64 body) to this JSON-lines file first" };
        var purge = new Command("purge", "Remove dead letters for good") { all, yes, archive };
        filter.AddWithIdsTo(purge);
        purge.SetAction(async (result, cancellationToken) =>
        {
            var providers = filter.Providers(result);
            var criteria = RequireSelection(filter.Read(result), result.GetValue(all) || filter.NamesProvider(result), "purge");
            if (!result.GetValue(yes) && !await ConfirmAsync(environment, criteria, providers))
            {
                return WorkerCommands.Failed;
            }
            var archivePath = result.GetValue(archive);
            await using var archiveFile = archivePath is null ? null : new StreamWriter(archivePath, append: true, new UTF8Encoding(false));
            var purges = await environment.WithDeadLettersAsync(async queues =>
            {
                var done = new List<DeadLetterPurge>();
                foreach (var provider in providers)
                {
                    done.Add(await queues.PurgeAsync(provider, criteria, archiveFile is null ? null : async message =>
                    {
                        // Written and flushed before the ack: a purge with an archive can be undone.
                        await archiveFile.WriteLineAsync(JsonSerializer.Serialize(Archived(message, TimeProvider.System.GetUtcNow())));
                        await archiveFile.FlushAsync(cancellationToken);
                    }, cancellationToken));
                }
                return done;
            }, cancellationToken);
            await environment.Output.WriteLineAsync($"Purged {purges.Sum(p => p.Purged)} message(s){(archivePath is null ? "" : $" (archived to {archivePath})")}; " +
                $"{purges.Sum(p => p.Left)} not matching left in the error queue(s).");
            return WorkerCommands.Ok;
        });
        return purge;
    }

    private static DeadLetterFilter RequireSelection(DeadLetterFilter filter, bool all, string verb) =>
        filter.SelectsSomething || all
            ? filter
            : throw new UsageException($"dead-letters {verb}: give ids, --message-id, --provider, --exception, --since or --until, or --all for every message.");

    private static async Task<bool> ConfirmAsync(CommandEnvironment environment, DeadLetterFilter filter, IReadOnlyList<Provider> providers)
    {
        var input = environment.Confirm ?? throw new UsageException("purge: nothing to read an answer from; add --yes to purge without asking.");
        var what = filter.SelectsSomething ? "the matching messages" : "EVERY message";
        await environment.Error.WriteAsync($"Purge {what} from {string.Join(", ", providers.Select(QueueNames.ErrorQueueFor))}? This cannot be undone without --archive. [y/N] ");
        var line = await input.ReadLineAsync();
        if (line is null)
        {
            throw new UsageException("purge: no answer on standard input; add --yes to purge without asking.");
        }
        var answer = line.Trim();
        if (answer is "y" or "Y" or "yes")
        {
            return true;
        }
        await environment.Error.WriteLineAsync("Nothing purged.");
        return false;
    }

    private static async Task WriteTableAsync(TextWriter output, IReadOnlyList<DeadLetter> messages)
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

    private static Task WriteFieldAsync(TextWriter output, string name, string? value) =>
        output.WriteLineAsync($"  {name + ":",-18} {(value ?? "-").ReplaceLineEndings(Environment.NewLine + new string(' ', 21))}");

    private static string? Format(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    private static ArchivedDeadLetter Archived(ErrorQueueMessage message, DateTimeOffset now) => new(
        QueueNames.ErrorQueueFor(message.Provider), now, message.MessageId, message.Properties.CorrelationId, message.Properties.ContentType,
        message.Properties.Persistent, message.Headers.ToDictionary(h => h.Key, h => h.Value), Convert.ToBase64String(message.Body));
}
