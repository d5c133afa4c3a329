using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// The admin DbContext's execution strategy: after a PostgreSQL restart every connection its pool held is dead, and
/// without a retry each one would fail an operator's call in turn. A transient failure (a dead or refused connection,
/// PostgreSQL shutting down or starting) empties the pool and runs the operation again, up to twice, after a short wait.
/// </summary>
/// <remarks>
/// <para>What is retried is one query, or one <c>SaveChanges</c> with the same tracked entities: a write whose commit was
/// lost on the wire is not applied twice, because its client-made primary keys refuse the second insert. Work that an
/// endpoint wraps in its own transaction retries only inside <c>CreateExecutionStrategy().ExecuteInTransactionAsync</c>,
/// which checks whether the commit landed before running it again.</para>
/// <para>A transaction an endpoint begins outside the strategy is not refused (EF's retrying strategies throw there):
/// it runs once, as it would without a retrying strategy.</para>
/// </remarks>
public sealed class AdminExecutionStrategy(ExecutionStrategyDependencies dependencies, NpgsqlDataSource dataSource)
    : NpgsqlRetryingExecutionStrategy(dependencies, MaxRetries, TimeSpan.FromSeconds(1), ShutdownErrorCodes)
{
    private const int MaxRetries = 2;

    /// <summary>admin_shutdown, crash_shutdown, cannot_connect_now: the server went or is coming back; nothing was committed.</summary>
    internal static readonly string[] ShutdownErrorCodes = ["57P01", "57P02", "57P03"];

    private bool InOwnTransaction => Dependencies.CurrentContext.Context.Database.CurrentTransaction is not null;

    protected override void OnFirstExecution()
    {
        if (InOwnTransaction)
        {
            ExceptionsEncountered.Clear();
            return;
        }
        base.OnFirstExecution();
    }

    protected override bool ShouldRetryOn(Exception? exception)
    {
        if (InOwnTransaction || !base.ShouldRetryOn(exception))
        {
            return false;
        }
        // The pool's other idle connections died with the same server: drop them all rather than meet them one by one.
        dataSource.Clear();
        return true;
    }

    protected override TimeSpan? GetNextDelay(Exception lastException) =>
        base.GetNextDelay(lastException) is null ? null : TimeSpan.FromMilliseconds(100 * ExceptionsEncountered.Count);
}
