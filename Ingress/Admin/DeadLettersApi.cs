using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Operations;
using Webhooks.Persistence.Operations.DeadLetters;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Dead letters per provider, <c>webhooks-&lt;provider&gt;_error</c>: list, show, replay and purge, with the same code
/// and filters as <c>Webhooks.Workers dead-letters</c> (<see cref="DeadLetterQueues"/>). A replay puts the delivery a
/// message names back in the outbox, then removes the message. The broker is reached as <see cref="DeadLetterOptions"/>' user.
/// </summary>
public static partial class DeadLettersApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>
    /// The error queues' own broker user (<see cref="DeadLetterOptions"/>), required and checked at start only where the
    /// admin API is served: a public replica without an admin key needs no such credentials.
    /// </summary>
    public static WebApplicationBuilder AddDeadLetterAccess(this WebApplicationBuilder builder)
    {
        var options = builder.Services.AddOptions<DeadLetterOptions>().BindConfiguration(DeadLetterOptions.SectionName);
        if (!string.IsNullOrEmpty(builder.Configuration[$"{IngressOptions.SectionName}:{nameof(IngressOptions.AdminKey)}"]))
        {
            options.ValidateDataAnnotations().ValidateOnStart();
        }
        builder.Services.AddSingleton<DeadLetterAccess>();
        return builder;
    }

    public static RouteGroupBuilder MapDeadLettersApi(this RouteGroupBuilder admin)
    {
        var deadLetters = admin.MapGroup("/dead-letters").WithTags("DeadLetters")
            .AddEndpointFilter(BrokerFailuresAre503)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        deadLetters.MapGet("/", CountAsync).WithName("CountDeadLetters")
            .WithSummary("Every provider's error queue and how many messages wait in it (messageCount null: the queue does not exist)");
        deadLetters.MapGet("/{provider}", ListAsync).WithName("ListDeadLetters")
            .WithSummary($"A provider's dead letters, newest failure first, filtered by id (message or delivery, repeatable), exception, since and until; limit {DefaultLimit} by default, at most {MaxLimit}, from offset");
        deadLetters.MapGet("/{provider}/{id}", ShowAsync).WithName("GetDeadLetter")
            .WithSummary("One dead letter by message id or delivery id: its fault headers, its delivery and integration (message null when only the database knows the id)");
        deadLetters.MapPost("/{provider}/{id}/replay", ReplayOneAsync).WithName("ReplayDeadLetter")
            .WithSummary("Put the delivery the message names back in the outbox, then remove the message; 409 when its delivery is not stored");
        deadLetters.MapPost("/{provider}/replay", ReplayAsync).WithName("ReplayDeadLetters")
            .WithSummary("Replay the matching dead letters (ids, exception, since, until, or all: true; at most max); dryRun answers what would be replayed and changes nothing");
        deadLetters.MapPost("/{provider}/{id}/purge", PurgeOneAsync).WithName("PurgeDeadLetter")
            .WithSummary("Remove one dead letter for good; needs {\"confirm\": true}");
        deadLetters.MapPost("/{provider}/purge", PurgeAsync).WithName("PurgeDeadLetters")
            .WithSummary("Remove the matching dead letters for good (ids, exception, since, until, or all: true); needs confirm: true; answers how many");
        return admin;
    }

    public static async Task<Ok<List<DeadLetterQueue>>> CountAsync(DeadLetterAccess access, WebhooksDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await access.WithQueuesAsync(null, db, async queues =>
        {
            var counted = new List<DeadLetterQueue>();
            foreach (var provider in ProviderNames.All)
            {
                counted.Add(await queues.CountAsync(provider, cancellationToken));
            }
            return counted;
        }, cancellationToken));

    public static async Task<Results<Ok<DeadLetterPage>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string provider, [FromQuery(Name = "id")] string[]? ids, string? exception, DateTimeOffset? since, DateTimeOffset? until, int? offset, int? limit,
        DeadLetterAccess access, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        if (limit is < 1 or > MaxLimit)
        {
            return AdminResults.Invalid("limit", $"The limit must be between 1 and {MaxLimit}.");
        }
        if (offset is < 0)
        {
            return AdminResults.Invalid("offset", "The offset must be 0 or more.");
        }
        var filter = Filter(ids, exception, since, until);
        return TypedResults.Ok(await access.WithQueuesAsync(known, db,
            queues => queues.ListAsync(known.Value, filter, offset ?? 0, limit ?? DefaultLimit, cancellationToken), cancellationToken));
    }

    public static async Task<Results<Ok<DeadLetterDetail>, ProblemHttpResult>> ShowAsync(
        string provider, string id, DeadLetterAccess access, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        var detail = await access.WithQueuesAsync(known, db, queues => queues.FindAsync(id, [known.Value], cancellationToken), cancellationToken);
        return detail is null ? NotInQueue(known.Value, id) : TypedResults.Ok(detail);
    }

    public static async Task<Results<Accepted<DeadLetterReplay>, ProblemHttpResult>> ReplayOneAsync(
        string provider, string id, DeadLetterAccess access, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        var filter = new DeadLetterFilter { Ids = new HashSet<string>([id], StringComparer.OrdinalIgnoreCase) };
        var replay = await access.WithQueuesAsync(known, db, queues => queues.ReplayAsync(known.Value, filter, dryRun: false, int.MaxValue, replayId: null, cancellationToken), cancellationToken);
        if (replay.Replayed == 0)
        {
            return replay.Skipped.Count > 0 ? AdminResults.Conflict(replay.Skipped[0].Reason) : NotInQueue(known.Value, id);
        }
        Log.Replayed(Logger(loggers), replay.Replayed, replay.Queue, replay.ReplayId);
        return TypedResults.Accepted(ProgressLocation(replay.ReplayId), replay);
    }

    public static async Task<Results<Ok<DeadLetterReplay>, Accepted<DeadLetterReplay>, ValidationProblem, ProblemHttpResult>> ReplayAsync(
        string provider, DeadLetterReplayRequest request, DeadLetterAccess access, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        var filter = Filter(request.Ids, request.Exception, request.Since, request.Until);
        if (!filter.SelectsSomething && request.All != true)
        {
            return NoSelection();
        }
        if (request.Max is < 1)
        {
            return AdminResults.Invalid("max", "The max must be at least 1.");
        }
        var dryRun = request.DryRun == true;
        var replay = await access.WithQueuesAsync(known, db,
            queues => queues.ReplayAsync(known.Value, filter, dryRun, request.Max ?? int.MaxValue, replayId: null, cancellationToken), cancellationToken);
        if (dryRun)
        {
            return TypedResults.Ok(replay);
        }
        Log.Replayed(Logger(loggers), replay.Replayed, replay.Queue, replay.ReplayId);
        return TypedResults.Accepted(ProgressLocation(replay.ReplayId), replay);
    }

    public static async Task<Results<Ok<DeadLetterPurge>, ValidationProblem, ProblemHttpResult>> PurgeOneAsync(
        string provider, string id, PurgeConfirmation? request, DeadLetterAccess access, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        if (request?.Confirm != true)
        {
            return Unconfirmed();
        }
        var filter = new DeadLetterFilter { Ids = new HashSet<string>([id], StringComparer.OrdinalIgnoreCase) };
        var purge = await access.WithQueuesAsync(known, db, queues => queues.PurgeAsync(known.Value, filter, archive: null, cancellationToken), cancellationToken);
        if (purge.Purged == 0)
        {
            return NotInQueue(known.Value, id);
        }
        Log.Purged(Logger(loggers), purge.Purged, purge.Queue);
        return TypedResults.Ok(purge);
    }

    public static async Task<Results<Ok<DeadLetterPurge>, ValidationProblem, ProblemHttpResult>> PurgeAsync(
        string provider, DeadLetterPurgeRequest request, DeadLetterAccess access, WebhooksDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!ProviderNames.TryParse(provider, out var known))
        {
            return UnknownProvider(provider);
        }
        var filter = Filter(request.Ids, request.Exception, request.Since, request.Until);
        if (!filter.SelectsSomething && request.All != true)
        {
            return NoSelection();
        }
        if (request.Confirm != true)
        {
            return Unconfirmed();
        }
        var purge = await access.WithQueuesAsync(known, db, queues => queues.PurgeAsync(known.Value, filter, archive: null, cancellationToken), cancellationToken);
        Log.Purged(Logger(loggers), purge.Purged, purge.Queue);
        return TypedResults.Ok(purge);
    }

    private static DeadLetterFilter Filter(string[]? ids, string? exception, DateTimeOffset? since, DateTimeOffset? until) => new()
    {
        Ids = new HashSet<string>((ids ?? []).Select(i => i.Trim()).Where(i => i.Length > 0), StringComparer.OrdinalIgnoreCase),
        ExceptionType = string.IsNullOrWhiteSpace(exception) ? null : exception.Trim(),
        Since = since,
        Until = until,
    };

    /// <summary>
    /// The broker refusing the DeadLetters user or going away mid-operation is 503. What to check is logged, never
    /// answered (it names hosts and users); whatever a pass held unacked went back to its queue with the connection.
    /// </summary>
    private static async ValueTask<object?> BrokerFailuresAre503(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (DeadLetterAccess.IsBrokerFailure(e))
        {
            Log.BrokerUnavailable(Logger(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>()), e.GetType().Name, e.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Dead letters unavailable",
                detail: DeadLetterAccess.UnavailableDetail);
        }
    }

    private static ProblemHttpResult UnknownProvider(string provider) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: $"No provider '{provider}'; known: {ProviderNames.Known}.");

    private static ProblemHttpResult NotInQueue(Provider provider, string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: $"No message or delivery {id} in {QueueNames.ErrorQueueFor(provider)}.");

    private static ValidationProblem NoSelection() =>
        AdminResults.Invalid("all", "Give ids, exception, since or until, or all: true for every message.");

    private static ValidationProblem Unconfirmed() =>
        AdminResults.Invalid("confirm", "A purge cannot be undone: send \"confirm\": true.");

    private static string? ProgressLocation(Guid? replayId) => replayId is { } id ? $"{AdminApi.Prefix}/deliveries/replays/{id}" : null;

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(DeadLettersApi).FullName!);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4040, Level = LogLevel.Information, Message = "{Count} dead letter(s) of {Queue} replayed through the outbox (replay {ReplayId})")]
        public static partial void Replayed(ILogger logger, int count, string queue, Guid? replayId);

        [LoggerMessage(EventId = 4041, Level = LogLevel.Warning, Message = "{Count} dead letter(s) purged from {Queue}")]
        public static partial void Purged(ILogger logger, int count, string queue);

        [LoggerMessage(EventId = 4042, Level = LogLevel.Warning, Message = "Dead-letter call answered 503 ({ExceptionType}: {Reason})")]
        public static partial void BrokerUnavailable(ILogger logger, string exceptionType, string reason);
    }
}

/// <summary>Which dead letters to replay: <c>ids</c> (message or delivery ids), <c>exception</c>, <c>since</c>, <c>until</c>, or <c>all</c>: true.</summary>
public sealed record DeadLetterReplayRequest(string[]? Ids, string? Exception, DateTimeOffset? Since, DateTimeOffset? Until, bool? All, bool? DryRun, int? Max);

/// <summary>Which dead letters to purge, as for a replay, and <c>confirm</c>: true.</summary>
public sealed record DeadLetterPurgeRequest(string[]? Ids, string? Exception, DateTimeOffset? Since, DateTimeOffset? Until, bool? All, bool? Confirm);

/// <summary>A purge of one dead letter: <c>confirm</c> must be true.</summary>
public sealed record PurgeConfirmation(bool? Confirm);
