using Npgsql;
using Webhooks.Persistence;

namespace Webhooks.Ingress.Outbox;

/// <summary>
/// Wakes the <see cref="OutboxRelay"/> when any process notifies <see cref="OutboxChannel.Name"/>: a replay puts
/// deliveries back in the outbox (from the admin API of any replica or from <c>Webhooks.Workers deliveries replay</c>)
/// and notifies in the same transaction, so they are sent within milliseconds of the commit rather than at the next
/// sweep. Holds one connection of the ingress's pool for <c>LISTEN</c>; while it cannot, the sweep still sends them.
/// </summary>
public sealed partial class OutboxNotificationListener(NpgsqlDataSource dataSource, OutboxRelay relay, ILogger<OutboxNotificationListener> logger)
    : BackgroundService
{
    /// <summary>How long a silent connection waits before it is checked with a query (a dead peer never notifies).</summary>
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MinRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    /// <summary>True while <c>LISTEN</c> is in force (tests wait for it before notifying).</summary>
    public bool IsListening { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = MinRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                IsListening = false;
                Log.ListenFailed(logger, e.GetType().Name, e.Message, retry);
                try
                {
                    await Task.Delay(retry, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
                continue;
            }
            retry = MinRetry;
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, _) => relay.Notify();
        await using (var listen = new NpgsqlCommand($"LISTEN {OutboxChannel.Name}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }
        IsListening = true;
        // Whatever was put back while nobody listened (start-up, a lost connection) is sent now, not at the next sweep.
        relay.Notify();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!await connection.WaitAsync(IdleCheck, stoppingToken))
                {
                    await using var check = new NpgsqlCommand("SELECT 1", connection);
                    await check.ExecuteScalarAsync(stoppingToken);
                }
            }
        }
        finally
        {
            IsListening = false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1210, LogLevel.Warning, "Cannot listen for replays on the outbox channel ({ExceptionType}: {Reason}); retrying in {Retry}, the sweep sends them meanwhile")]
        public static partial void ListenFailed(ILogger logger, string exceptionType, string reason, TimeSpan retry);
    }
}
