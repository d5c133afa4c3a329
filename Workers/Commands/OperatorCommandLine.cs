using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Workers.DeadLetters;

namespace Webhooks.Workers.Commands;

/// <summary>
/// The operator's verbs, <c>dead-letters …</c> and <c>deliveries …</c> (System.CommandLine). Arguments shaped
/// <c>--Section:Key=value</c> are configuration, as for the worker itself; the rest is the command.
/// Exit codes: 0 done, 1 failed (the message says what to do), 2 usage.
/// </summary>
public static partial class OperatorCommandLine
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <param name="args">The whole command line, starting with the verb (<c>dead-letters list --provider jira</c>).</param>
    /// <param name="confirm">Where purge reads its y/N answer; null means the console when it is a terminal, else no answer.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter? error = null, TextReader? confirm = null,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        error ??= output;
        var configurationArguments = args.Where(a => ConfigurationArgument().IsMatch(a)).ToArray();
        var commandArguments = args.Where(a => !ConfigurationArgument().IsMatch(a)).ToArray();
        var context = new Context(configurationArguments, output, error, confirm, clock ?? TimeProvider.System);

        var root = new RootCommand("Webhooks.Workers operator commands") { DeadLettersCommand(context), DeliveriesCommand(context) };
        var parsed = root.Parse(commandArguments);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }
            await error.WriteLineAsync(HelpHint(commandArguments));
            return Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync(HelpHint(commandArguments));
            return Usage;
        }
        catch (CommandFailedException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
        catch (RabbitMQ.Client.Exceptions.RabbitMQClientException e)
        {
            await error.WriteLineAsync($"error: RabbitMQ closed the connection ({e.Message}). Nothing unconfirmed was removed: the broker put back every message it had handed out. Run the command again.");
            return Failed;
        }

    }

    private static string HelpHint(string[] commandArguments) =>
        $"Run `Webhooks.Workers {string.Join(' ', commandArguments.TakeWhile(a => !a.StartsWith('-')))} --help` for the usage.";

    [GeneratedRegex(@"^--[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_]+)+=")]
    private static partial Regex ConfigurationArgument();

    private sealed record Context(string[] ConfigurationArguments, TextWriter Output, TextWriter Error, TextReader? Confirm, TimeProvider Clock)
    {
        public OperatorSettings Settings() => OperatorSettings.From(new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(ConfigurationArguments)
            .Build());
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed class FilterOptions
    {
        public Option<string[]> Provider { get; } = new("--provider", "-p") { Description = "Only this provider's error queue (repeatable); all by default", AllowMultipleArgumentsPerToken = true };
        public Option<string[]> Id { get; } = new("--message-id", "--id") { Description = "A message id or delivery id (repeatable)", AllowMultipleArgumentsPerToken = true };
        public Option<string> Exception { get; } = new("--exception") { Description = "Exception type, e.g. PostgresException" };
        public Option<string> Since { get; } = new("--since") { Description = "Failed at or after (ISO 8601, UTC unless an offset is given)" };
        public Option<string> Until { get; } = new("--until") { Description = "Failed before (ISO 8601)" };

        public void AddTo(Command command)
        {
            command.Options.Add(Provider);
            command.Options.Add(Id);
            command.Options.Add(Exception);
            command.Options.Add(Since);
            command.Options.Add(Until);
        }

        public DeadLetterFilter Read(ParseResult result) => new()
        {
            Providers = Providers(result.GetValue(Provider)),
            Ids = new HashSet<string>(result.GetValue(Id) ?? [], StringComparer.OrdinalIgnoreCase),
            ExceptionType = result.GetValue(Exception) is { Length: > 0 } type ? type : null,
            Since = Time(result.GetValue(Since), "--since"),
            Until = Time(result.GetValue(Until), "--until"),
        };
    }

    private static Command DeadLettersCommand(Context context)
    {
        var command = new Command("dead-letters", "Messages that failed past the retry limit, in webhooks-<provider>_error");

        var listFilter = new FilterOptions();
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var limit = new Option<int>("--limit") { Description = "Read at most this many messages per queue", DefaultValueFactory = _ => DeadLetterOperations.DefaultLimit };
        var list = new Command("list", "Count and describe the dead letters (they are read and put back; RabbitMQ has no browse)") { json, limit };
        listFilter.AddTo(list);
        list.SetAction((result, ct) => WithBrokerAsync(context, ops => ops.ListAsync(listFilter.Read(result), result.GetValue(json), Positive(result.GetValue(limit), "--limit"), ct), ct));

        var id = new Argument<string>("id") { Description = "Message id or delivery id" };
        var showProvider = new Option<string[]>("--provider", "-p") { Description = "Only look in this provider's error queue", AllowMultipleArgumentsPerToken = true };
        var show = new Command("show", "Everything known about one dead letter: fault headers, the delivery, the integration") { id, showProvider };
        show.SetAction((result, ct) => WithBrokerAsync(context, ops => ops.ShowAsync(result.GetValue(id)!, Providers(result.GetValue(showProvider)), ct), ct));

        var replayFilter = new FilterOptions();
        var all = new Option<bool>("--all") { Description = "Every message (required when no filter is given)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be replayed; change nothing" };
        var max = new Option<int>("--max") { Description = "Replay at most this many", DefaultValueFactory = _ => int.MaxValue };
        var replay = new Command("replay", "Send dead letters back to their provider's queue; each is removed only after the broker confirmed the resend") { all, dryRun, max };
        replayFilter.AddTo(replay);
        replay.SetAction((result, ct) =>
        {
            var filter = RequireSelection(replayFilter.Read(result), result.GetValue(all), "replay");
            return WithBrokerAsync(context, ops => ops.ReplayAsync(filter, result.GetValue(dryRun), Positive(result.GetValue(max), "--max"), ct), ct);
        });

        var purgeFilter = new FilterOptions();
        var purgeAll = new Option<bool>("--all") { Description = "Every message (required when no filter is given)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation" };
        var archive = new Option<string>("--archive") { Description = "Append each purged message (properties, headers, base64 body) to this JSON-lines file first" };
        var purge = new Command("purge", "Remove dead letters for good") { purgeAll, yes, archive };
        purgeFilter.AddTo(purge);
        purge.SetAction(async (result, ct) =>
        {
            var filter = RequireSelection(purgeFilter.Read(result), result.GetValue(purgeAll), "purge");
            if (!result.GetValue(yes) && !await ConfirmAsync(context, filter))
            {
                return Failed;
            }
            return await WithBrokerAsync(context, ops => ops.PurgeAsync(filter, result.GetValue(archive), ct), ct);
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        command.Subcommands.Add(replay);
        command.Subcommands.Add(purge);
        return command;
    }

    private static Command DeliveriesCommand(Context context)
    {
        var ids = new Option<string[]>("--id") { Description = "A delivery id (repeatable)", AllowMultipleArgumentsPerToken = true };
        var statuses = new Option<string[]>("--status") { Description = "failed, dead_lettered, processed, duplicate, ignored, queued or accepted (repeatable)", AllowMultipleArgumentsPerToken = true };
        var integration = new Option<string>("--integration") { Description = "Only this integration's deliveries" };
        var provider = new Option<string>("--provider", "-p") { Description = "Only this provider's deliveries" };
        var since = new Option<string>("--since") { Description = "Received at or after (ISO 8601)" };
        var until = new Option<string>("--until") { Description = "Received before (ISO 8601)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be replayed; change nothing" };
        var max = new Option<int>("--max") { Description = "Replay at most this many (oldest first)", DefaultValueFactory = _ => 10_000 };
        var outboxOnly = new Option<bool>("--outbox-only") { Description = "Only put them back in the outbox; a running ingress sends them" };
        var replay = new Command("replay", "Process stored deliveries again from PostgreSQL (the ledger makes re-applying harmless)")
        {
            ids, statuses, integration, provider, since, until, dryRun, max, outboxOnly,
        };
        replay.SetAction(async (result, ct) =>
        {
            var filter = new StoredDeliveryFilter
            {
                Ids = (result.GetValue(ids) ?? []).Select(id => Id(id, "--id")).ToList(),
                Statuses = (result.GetValue(statuses) ?? []).Select(Status).ToList(),
                IntegrationId = result.GetValue(integration) is { Length: > 0 } integrationId ? Id(integrationId, "--integration") : null,
                Provider = result.GetValue(provider) is { Length: > 0 } name ? Providers([name])[0] : null,
                Since = Time(result.GetValue(since), "--since"),
                Until = Time(result.GetValue(until), "--until"),
            };
            if (!filter.SelectsSomething)
            {
                throw new UsageException("deliveries replay: give --id, --status, --integration, --provider, --since or --until (replaying every delivery is never what you meant).");
            }
            var settings = context.Settings();
            return await new StoredDeliveryReplay(settings, context.Output, context.Error)
                .RunAsync(filter, result.GetValue(dryRun), result.GetValue(outboxOnly), Positive(result.GetValue(max), "--max"), ct);
        });
        return new Command("deliveries", "Stored deliveries in PostgreSQL") { replay };
    }

    private static async Task<int> WithBrokerAsync(Context context, Func<DeadLetterOperations, Task<int>> run, CancellationToken cancellationToken)
    {
        await using var broker = await ErrorQueueBroker.ConnectAsync(context.Settings(), cancellationToken);
        return await run(new DeadLetterOperations(broker, context.Output, context.Error, context.Clock));
    }

    private static async Task<bool> ConfirmAsync(Context context, DeadLetterFilter filter)
    {
        var input = context.Confirm ?? (Console.IsInputRedirected ? null : Console.In);
        if (input is null)
        {
            throw new UsageException("purge: no terminal to confirm on; add --yes to purge without asking.");
        }
        var what = filter.SelectsSomething ? "the matching messages" : "EVERY message";
        await context.Error.WriteAsync($"Purge {what} from {string.Join(", ", filter.Providers.Select(QueueNames.ErrorQueueFor))}? This cannot be undone without --archive. [y/N] ");
        var answer = (await input.ReadLineAsync())?.Trim();
        if (answer is "y" or "Y" or "yes")
        {
            return true;
        }
        await context.Error.WriteLineAsync("Nothing purged.");
        return false;
    }

    private static DeadLetterFilter RequireSelection(DeadLetterFilter filter, bool all, string verb) =>
        filter.SelectsSomething || all
            ? filter
            : throw new UsageException($"dead-letters {verb}: give --message-id, --exception, --since or --until, or --all for every message.");

    private static IReadOnlyList<Provider> Providers(string[]? names)
    {
        if (names is not { Length: > 0 })
        {
            return ProviderNames.All;
        }
        return names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(n => ProviderNames.TryParse(n, out var provider)
                ? provider.Value
                : throw new UsageException($"Unknown provider '{n}'; known: {string.Join(", ", ProviderNames.All.Select(p => p.ToWireName()))}."))
            .Distinct()
            .ToList();
    }

    private static DeliveryStatus Status(string name) =>
        SnakeCaseEnumConverter<DeliveryStatus>.TryParse(name.Trim(), out var status)
            ? status
            : throw new UsageException($"Unknown status '{name}'; known: {string.Join(", ", Enum.GetValues<DeliveryStatus>().Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName))}.");

    private static DateTimeOffset? Time(string? text, string option) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                ? at
                : throw new UsageException($"{option} '{text}' is not a date and time; use ISO 8601, e.g. 2026-11-22T20:00:00Z.");

    // Conversion is done here, not by System.CommandLine: its conversion errors surface as exceptions, not usage errors.
    private static Guid Id(string text, string option) =>
        Guid.TryParse(text, out var id) ? id : throw new UsageException($"{option} '{text}' is not an id (a GUID such as 01a2050b-741b-774a-aeda-c59bf074a072).");

    private static int Positive(int value, string option) => value > 0 ? value : throw new UsageException($"{option} must be at least 1.");
}
