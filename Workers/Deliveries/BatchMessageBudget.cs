using Microsoft.Extensions.Options;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// How many deliveries of batch messages this process works on at once (<c>Workers:BatchDeliveryLimit</c>): a batch
/// message waits, unacked, until its deliveries fit, so a backlog of many messages stays in the broker rather than in
/// memory, while enough are queued here for <see cref="DeliveryGroupCommit"/> to form full batches whether the relay
/// sent them ten or two hundred to a message. One message takes its permits at a time, so two cannot each hold half of
/// what both need.
/// </summary>
public sealed class BatchMessageBudget(IOptions<WorkerOptions> options) : IDisposable
{
    private readonly int _limit = options.Value.BatchDeliveryLimit;
    private readonly SemaphoreSlim _permits = new(options.Value.BatchDeliveryLimit, options.Value.BatchDeliveryLimit);
    private readonly SemaphoreSlim _taking = new(1, 1);

    /// <summary>Waits until <paramref name="deliveries"/> (at most the whole limit) fit; dispose the lease to give them back.</summary>
    public async Task<IDisposable> TakeAsync(int deliveries, CancellationToken cancellationToken)
    {
        var count = Math.Clamp(deliveries, 1, _limit);
        await _taking.WaitAsync(cancellationToken);
        var taken = 0;
        try
        {
            for (; taken < count; taken++)
            {
                await _permits.WaitAsync(cancellationToken);
            }
        }
        catch
        {
            if (taken > 0)
            {
                _permits.Release(taken);
            }
            throw;
        }
        finally
        {
            _taking.Release();
        }
        return new Lease(_permits, count);
    }

    public void Dispose()
    {
        _permits.Dispose();
        _taking.Dispose();
    }

    private sealed class Lease(SemaphoreSlim permits, int count) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                permits.Release(count);
            }
        }
    }
}
