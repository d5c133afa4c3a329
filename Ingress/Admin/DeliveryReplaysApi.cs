using Microsoft.AspNetCore.Http.HttpResults;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Operations.Replay;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Bulk replay of stored deliveries, with the filter of <c>Webhooks.Workers deliveries replay</c> and the same code
/// (<see cref="StoredDeliveryReplay"/>): the matching deliveries go back in the outbox under one replay id, whose
/// progress the second route counts.
/// </summary>
public static partial class DeliveryReplaysApi
{
    public const int DefaultMax = 10_000;
    public const int MaxMax = 100_000;

    public static RouteGroupBuilder MapDeliveryReplaysApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/deliveries/replay", ReplayAsync).WithTags("Deliveries").WithName("ReplayDeliveries")
            .WithSummary($"Process the matching stored deliveries again (ids, statuses, integrationId, provider, since, until; oldest first, at most max, {DefaultMax} by default); dryRun answers the count and changes nothing");
        admin.MapGet("/deliveries/replays/{replayId:guid}", GetProgressAsync).WithTags("Deliveries").WithName("GetReplayProgress")
            .WithSummary("How many deliveries of a replay still wait in the outbox (accepted) or on the broker (queued), and how many have an outcome again");
        return admin;
    }

    public static async Task<Results<Ok<DeliveryReplayCount>, Accepted<DeliveryReplayStarted>, ValidationProblem>> ReplayAsync(
        DeliveryReplayRequest request, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var statuses = new List<DeliveryStatus>();
        foreach (var name in request.Statuses ?? [])
        {
            if (!SnakeCaseEnumConverter<DeliveryStatus>.TryParse(name, out var status) || !StoredDeliveryFilter.Replayable.Contains(status))
            {
                return AdminResults.Invalid("statuses", $"Each status must be one of {string.Join(", ", StoredDeliveryFilter.Replayable.Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName))}.");
            }
            statuses.Add(status);
        }
        Provider? provider = null;
        if (request.Provider is not null)
        {
            if (!ProviderNames.TryParse(request.Provider, out provider))
            {
                return AdminResults.Invalid("provider", $"The provider must be one of {ProviderNames.Known}.");
            }
        }
        if (request.Max is < 1 or > MaxMax)
        {
            return AdminResults.Invalid("max", $"The max must be between 1 and {MaxMax}.");
        }
        var filter = new StoredDeliveryFilter
        {
            Ids = request.Ids ?? [],
            Statuses = statuses,
            IntegrationId = request.IntegrationId,
            Provider = provider,
            Since = request.Since,
            Until = request.Until,
        };
        if (!filter.SelectsSomething)
        {
            return AdminResults.Invalid("filter", "Give ids, statuses, integrationId, provider, since or until: replaying every delivery is never what you meant.");
        }

        var replay = new StoredDeliveryReplay(db);
        var max = request.Max ?? DefaultMax;
        if (request.DryRun == true)
        {
            return TypedResults.Ok(new DeliveryReplayCount(true, await replay.CountAsync(filter, max, cancellationToken), max));
        }
        var result = await replay.ReplayAsync(filter, max, progress: null, cancellationToken);
        Log.Replayed(loggers.CreateLogger(typeof(DeliveryReplaysApi).FullName!), result.Replayed, result.ReplayId);
        return TypedResults.Accepted($"{AdminApi.Prefix}/deliveries/replays/{result.ReplayId}",
            new DeliveryReplayStarted(result.ReplayId, result.Selected, result.Replayed));
    }

    public static async Task<Results<Ok<ReplayProgress>, ProblemHttpResult>> GetProgressAsync(Guid replayId, WebhooksDbContext db, CancellationToken cancellationToken) =>
        await new StoredDeliveryReplay(db).ProgressAsync(replayId, cancellationToken) is { } progress
            ? TypedResults.Ok(progress)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"No delivery carries replay {replayId}: it replayed nothing, or each of its deliveries was replayed again since.");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "{Count} stored deliveries put back in the outbox (replay {ReplayId})")]
        public static partial void Replayed(ILogger logger, int count, Guid replayId);
    }
}

/// <summary>
/// Which stored deliveries to process again; criteria combine, at least one is required. <c>statuses</c> by name
/// (<c>failed</c>, <c>dead_lettered</c>, …); <c>since</c>/<c>until</c> bound when they were received.
/// </summary>
public sealed record DeliveryReplayRequest(
    Guid[]? Ids, string[]? Statuses, Guid? IntegrationId, string? Provider, DateTimeOffset? Since, DateTimeOffset? Until, int? Max, bool? DryRun);

/// <summary>A dry run: how many deliveries the replay would take (at most <c>max</c>).</summary>
public sealed record DeliveryReplayCount(bool DryRun, int Count, int Max);

/// <summary>A replay under way: <c>replayed</c> deliveries are back in the outbox; GET its <c>Location</c> for progress.</summary>
public sealed record DeliveryReplayStarted(Guid ReplayId, int Selected, int Replayed);
