using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Holding;

/// <summary>
/// Loads the Data Protection key ring once PostgreSQL answers, and keeps trying until it has. The key ring lives in
/// PostgreSQL, but a delivery is held (and so sealed) exactly when PostgreSQL is down: it must already be in memory by
/// then. Data Protection keeps a loaded ring in use while a refresh fails.
/// </summary>
public sealed partial class KeyRingPreload(HeldDeliverySeal seal, ILogger<KeyRingPreload> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the host must start (and answer health checks) while PostgreSQL is still down.
        await Task.Yield();
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                seal.LoadKeyRing();
                Log.Loaded(logger);
                return;
            }
            catch (Exception e)
            {
                if (attempt == 1 || attempt % 30 == 0)
                {
                    Log.NotLoaded(logger, e.GetType().Name, e.Message);
                }
            }
            try
            {
                await Task.Delay(RetryDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1503, LogLevel.Debug, "Data Protection key ring loaded: deliveries can be sealed for the holding queue")]
        public static partial void Loaded(ILogger logger);

        [LoggerMessage(1504, LogLevel.Warning, "Could not load the Data Protection key ring yet ({ExceptionType}: {Reason}); deliveries cannot be held until it is")]
        public static partial void NotLoaded(ILogger logger, string exceptionType, string reason);
    }
}
