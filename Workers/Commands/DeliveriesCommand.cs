using System.CommandLine;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Operations.Replay;

namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>deliveries replay|progress</c>: stored deliveries processed again, through the same
/// <see cref="StoredDeliveryReplay"/> as <c>POST /api/v1/admin/deliveries/replay</c>: they go back in the outbox and a
/// running ingress's relay sends them (woken by the replay's notification). This class only parses and prints.
/// </summary>
public static class DeliveriesCommand
{
    public const int DefaultMax = 10_000;

    public static Command Create(CommandEnvironment environment) =>
        new("deliveries", "Stored deliveries in PostgreSQL") { Replay(environment), Progress(environment) };

    private static Command Replay(CommandEnvironment environment)
    {
        var ids = new Option<string[]>("--id") { Description = "A delivery id (repeatable)" };
        var idArguments = new Argument<string[]>("ids") { Description = "Delivery ids (the same as --id)", Arity = ArgumentArity.ZeroOrMore };
        var statuses = new Option<string[]>("--status")
        {
            Description = $"{string.Join(", ", StoredDeliveryFilter.Replayable.Select(SnakeCaseEnumConverter<Persistence.Model.DeliveryStatus>.ToName))} (repeatable)",
        };
        var integration = new Option<string>("--integration") { Description = "Only this integration's deliveries" };
        var provider = new Option<string>("--provider", "-p") { Description = "Only this provider's deliveries" };
        var since = new Option<string>("--since") { Description = "Received at or after (ISO 8601)" };
        var until = new Option<string>("--until") { Description = "Received before (ISO 8601)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be replayed; change nothing" };
        var max = new Option<int>("--max") { Description = "Replay at most this many (oldest first)", DefaultValueFactory = _ => DefaultMax };
        var replay = new Command("replay",
            "Put stored deliveries back in the outbox, where a running ingress sends them again (the ledger makes re-applying harmless)")
        {
            idArguments, ids, statuses, integration, provider, since, until, dryRun, max,
        };
        replay.SetAction(async (result, cancellationToken) =>
        {
            var filter = new StoredDeliveryFilter
            {
                Ids = (result.GetValue(ids) ?? []).Concat(result.GetValue(idArguments) ?? []).Select(id => CommandOptions.Id(id, "--id")).ToList(),
                Statuses = (result.GetValue(statuses) ?? []).Select(s => CommandOptions.Status(s, StoredDeliveryFilter.Replayable)).ToList(),
                IntegrationId = result.GetValue(integration) is { Length: > 0 } integrationId ? CommandOptions.Id(integrationId, "--integration") : null,
                Provider = result.GetValue(provider) is { Length: > 0 } name ? CommandOptions.Providers([name])[0] : null,
                Since = CommandOptions.Time(result.GetValue(since), "--since"),
                Until = CommandOptions.Time(result.GetValue(until), "--until"),
            };
            if (!filter.SelectsSomething)
            {
                throw new UsageException("deliveries replay: give ids, --id, --status, --integration, --provider, --since or --until (replaying every delivery is never what you meant).");
            }
            var limit = CommandOptions.Positive(result.GetValue(max), "--max");
            var output = environment.Output;
            if (result.GetValue(dryRun))
            {
                var candidates = await environment.WithDatabaseAsync(db => new StoredDeliveryReplay(db).SelectAsync(filter, limit, cancellationToken));
                foreach (var candidate in candidates)
                {
                    await output.WriteLineAsync($"Would replay delivery {candidate.Id} ({candidate.Provider.ToWireName()}, now {SnakeCaseEnumConverter<Persistence.Model.DeliveryStatus>.ToName(candidate.Status)})");
                }
                await output.WriteLineAsync($"Dry run: {Deliveries(candidates.Count)} would be put back in the outbox; nothing was changed.");
                return WorkerCommands.Ok;
            }
            var replayed = await environment.WithDatabaseAsync(db => new StoredDeliveryReplay(db).ReplayAsync(filter, limit,
                (done, selected) => environment.Error.WriteLineAsync($"… {done}/{selected} deliveries put back in the outbox"), cancellationToken));
            if (replayed.Replayed == 0)
            {
                await output.WriteLineAsync("No stored delivery matches.");
                return WorkerCommands.Ok;
            }
            await output.WriteLineAsync($"Replayed {Deliveries(replayed.Replayed)}: back in the outbox as replay {replayed.ReplayId}; a running ingress sends them now. " +
                $"Progress: {WorkerCommands.ProgramName} deliveries progress {replayed.ReplayId}");
            return WorkerCommands.Ok;
        });
        return replay;

        static string Deliveries(int count) => count == 1 ? "1 delivery" : $"{count} deliveries";
    }

    private static Command Progress(CommandEnvironment environment)
    {
        var replayId = new Argument<string>("replay-id") { Description = "The id a replay printed (or the admin API answered)" };
        var progress = new Command("progress", "How many deliveries of a replay still wait in the outbox or on the broker, and how many have an outcome again") { replayId };
        progress.SetAction(async (result, cancellationToken) =>
        {
            var id = CommandOptions.Id(result.GetValue(replayId)!, "replay-id");
            var counted = await environment.WithDatabaseAsync(db => new StoredDeliveryReplay(db).ProgressAsync(id, cancellationToken));
            if (counted is null)
            {
                await environment.Output.WriteLineAsync($"No delivery carries replay {id}: it replayed nothing, or each of its deliveries was replayed again since.");
                return WorkerCommands.Failed;
            }
            await environment.Output.WriteLineAsync(
                $"Replay {id}: {counted.Total} deliveries, {counted.Accepted} in the outbox, {counted.Queued} queued, {counted.Finished} finished" +
                $" ({string.Join(", ", counted.Statuses.Select(s => $"{s.Key} {s.Value}"))}){(counted.Done ? "; done." : ".")}");
            return WorkerCommands.Ok;
        });
        return progress;
    }
}
