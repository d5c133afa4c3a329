using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Telemetry;

namespace Webhooks.Workers.Deliveries;

/// <summary>
/// Group commit for the consumers: every consumed message waits here while up to <c>Workers:BatchConcurrency</c>
/// transactions each take whatever is queued (at most <c>Workers:BatchSize</c>) and process it as one batch. Under a
/// burst a batch fills while the previous one commits; a lone message is a batch of one and waits for nothing.
/// Each message still gets its own outcome or exception, so MassTransit's retry and dead-lettering stay per message:
/// when a batch throws, its deliveries are processed again one at a time, and only the one that fails alone fails.
/// Deliveries of senders whose events carry ids only (an <see cref="IItemFetcher"/>) first pass the fetch step, outside
/// any transaction: whatever is queued is fetched together (an item several of them name is read once), and each joins
/// the next batch as soon as its own items are read, so a slow sender's API holds neither locks nor other deliveries.
/// A delivery whose fetch fails transiently fails alone; the rest of its fetch batch goes on.
/// </summary>
public sealed class DeliveryGroupCommit : IAsyncDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<DeliveryGroupCommit> _logger;
    private readonly int _batchSize;
    private readonly Channel<Waiter> _queue = Channel.CreateUnbounded<Waiter>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Channel<Waiter> _toFetch = Channel.CreateUnbounded<Waiter>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<Provider> _fetchingProviders;
    private readonly ConcurrentDictionary<Task, bool> _fetches = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _lanes;
    private int _gathering;
    private TaskCompletionSource _gathered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DeliveryGroupCommit(IServiceScopeFactory scopes, IOptions<WorkerOptions> options, IEnumerable<IItemFetcher> fetchers, ILogger<DeliveryGroupCommit> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _batchSize = options.Value.BatchSize;
        _fetchingProviders = [.. fetchers.Select(f => f.Provider)];
        _lanes = [.. Enumerable.Range(0, options.Value.BatchConcurrency).Select(_ => Task.Run(RunLaneAsync)), Task.Run(RunFetchingAsync)];
    }

    /// <summary>
    /// Processes the delivery in the next batch and returns its outcome; a <paramref name="provider"/> with an
    /// <see cref="IItemFetcher"/> passes the fetch step first. The caller's cancellation stops the wait, not the batch:
    /// a batch that commits afterwards leaves an outcome the message's redelivery then finds.
    /// </summary>
    public Task<DeliveryOutcome> ProcessAsync(Guid deliveryId, Provider provider, CancellationToken cancellationToken) =>
        ProcessAsync(deliveryId, provider, sentAt: null, cancellationToken);

    /// <summary>
    /// As <see cref="ProcessAsync(Guid, Provider, CancellationToken)"/>, for a delivery the relay sent at
    /// <paramref name="sentAt"/> (its message's send time): recorded as the delivery's publish time with its outcome.
    /// </summary>
    public Task<DeliveryOutcome> ProcessAsync(Guid deliveryId, Provider provider, DateTimeOffset? sentAt, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(deliveryId, sentAt, Activity.Current, cancellationToken);
        var queue = _fetchingProviders.Contains(provider) ? _toFetch : _queue;
        if (!queue.Writer.TryWrite(waiter))
        {
            throw new OperationCanceledException("The worker is stopping.");
        }
        return waiter.Outcome.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// While the returned scope is open, a lane that would start a batch smaller than <c>Workers:BatchSize</c> waits for
    /// it to close: the deliveries of one batch message, handed over one by one, go into one transaction rather than
    /// being split by a lane that woke on the first. Only for a synchronous loop of <see cref="ProcessAsync"/> calls.
    /// </summary>
    public IDisposable Gather()
    {
        Interlocked.Increment(ref _gathering);
        return new GatherScope(this);
    }

    private void EndGather()
    {
        if (Interlocked.Decrement(ref _gathering) == 0)
        {
            Interlocked.Exchange(ref _gathered, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private async Task WaitWhileGatheringAsync(ChannelReader<Waiter> reader)
    {
        // The wait is bounded: a gathering scope lasts microseconds, this only guards against one left open by mistake.
        var gathered = Volatile.Read(ref _gathered);
        if (Volatile.Read(ref _gathering) > 0 && reader.Count < _batchSize)
        {
            await gathered.Task.WaitAsync(TimeSpan.FromMilliseconds(50), _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private sealed class GatherScope(DeliveryGroupCommit owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.EndGather();
            }
        }
    }

    private async Task RunFetchingAsync()
    {
        var reader = _toFetch.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                var batch = new List<Waiter>(_batchSize);
                while (batch.Count < _batchSize && reader.TryRead(out var waiter))
                {
                    if (!waiter.CancellationToken.IsCancellationRequested)
                    {
                        batch.Add(waiter);
                    }
                }
                if (batch.Count > 0)
                {
                    // Not awaited: the next fetch batch starts while this one's API calls are still out.
                    Track(FetchBatchAsync(batch));
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task FetchBatchAsync(List<Waiter> batch)
    {
        var previous = Activity.Current;
        using var activity = StartBatchActivity(batch, "fetch delivery items");
        try
        {
            IReadOnlyDictionary<Guid, Task<FetchedItems>> started;
            await using (var scope = _scopes.CreateAsyncScope())
            {
                started = await scope.ServiceProvider.GetRequiredService<ItemFetching>().StartAsync([.. batch.Select(w => w.DeliveryId)], _stopping.Token);
            }
            foreach (var waiter in batch)
            {
                Track(ForwardAsync(waiter, started.GetValueOrDefault(waiter.DeliveryId)));
            }
        }
        catch (Exception e)
        {
            foreach (var waiter in batch)
            {
                await FailFetchAsync(waiter, e);
            }
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>Joins the next batch once the delivery's own items are read (at once when it needs none).</summary>
    private async Task ForwardAsync(Waiter waiter, Task<FetchedItems>? fetching)
    {
        try
        {
            var fetched = fetching is null ? null : await fetching;
            if (!_queue.Writer.TryWrite(waiter with { Fetched = fetched }))
            {
                waiter.Outcome.TrySetCanceled();
            }
        }
        catch (Exception e)
        {
            await FailFetchAsync(waiter, e);
        }
    }

    /// <summary>A transient fetch failure: the attempt is counted, as any failed one is, and the message is retried alone.</summary>
    private async Task FailFetchAsync(Waiter waiter, Exception failure)
    {
        if (_stopping.IsCancellationRequested)
        {
            waiter.Outcome.TrySetCanceled();
            return;
        }
        await CountFailedAttemptsAsync([waiter]);
        waiter.Outcome.TrySetException(failure);
    }

    /// <summary>
    /// A failed attempt rolled back with its transaction (or never began one): counted in a statement of its own, so the
    /// delivery log and a dead letter show every attempt. Not when the worker is stopping: the message goes back unacked.
    /// </summary>
    private async Task CountFailedAttemptsAsync(IReadOnlyList<Waiter> failed)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await using var scope = _scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>()
            .CountFailedAttemptsAsync([.. failed.Select(w => w.DeliveryId)], _stopping.Token);
    }

    private void Track(Task task)
    {
        _fetches[task] = true;
        _ = task.ContinueWith(done => _fetches.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunLaneAsync()
    {
        var batch = new List<Waiter>(_batchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                await WaitWhileGatheringAsync(reader);
                batch.Clear();
                while (batch.Count < _batchSize && reader.TryRead(out var waiter))
                {
                    if (!waiter.CancellationToken.IsCancellationRequested)
                    {
                        batch.Add(waiter);
                    }
                }
                if (batch.Count > 0)
                {
                    try
                    {
                        await ProcessBatchAsync(batch);
                    }
                    catch (Exception e) when (!_stopping.IsCancellationRequested)
                    {
                        // Never leave a message waiting on a lane that moved on: it would hold its consumer until shutdown.
                        foreach (var waiter in batch)
                        {
                            waiter.Outcome.TrySetException(e);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessBatchAsync(List<Waiter> batch)
    {
        var previous = Activity.Current;
        using var activity = StartBatchActivity(batch, "apply delivery batch");
        try
        {
            IReadOnlyDictionary<Guid, DeliveryOutcome> outcomes;
            try
            {
                outcomes = await RunTransactionAsync(batch);
            }
            catch (Exception e) when (batch.Count > 1 && !_stopping.IsCancellationRequested)
            {
                // Nothing of the batch was counted: each is counted by its own run.
                Log.BatchFailed(_logger, batch.Count, e.GetType().Name);
                await ProcessOneByOneAsync(batch);
                return;
            }
            catch (Exception e)
            {
                foreach (var waiter in batch)
                {
                    await FailAloneAsync(waiter, e);
                }
                return;
            }
            Complete(batch, outcomes);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    private async Task ProcessOneByOneAsync(List<Waiter> batch)
    {
        foreach (var waiter in batch)
        {
            if (waiter.CancellationToken.IsCancellationRequested)
            {
                waiter.Outcome.TrySetCanceled(waiter.CancellationToken);
                continue;
            }
            try
            {
                Complete([waiter], await RunTransactionAsync([waiter]));
            }
            catch (Exception e)
            {
                await FailAloneAsync(waiter, e);
            }
        }
    }

    /// <summary>
    /// The delivery's own transaction failed. What PostgreSQL refused as data fails the same way on every attempt: the
    /// delivery is recorded failed with the reason (<see cref="DeliveryProcessor.RecordRefusedAsync"/>), so its message
    /// is acked rather than retried into a dead letter. Anything else is counted and thrown, to be retried.
    /// </summary>
    private async Task FailAloneAsync(Waiter waiter, Exception failure)
    {
        if (DeliveryProcessor.RefusedAsData(failure) is { } refusal && !_stopping.IsCancellationRequested)
        {
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var recorded = await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>()
                    .RecordRefusedAsync(waiter.DeliveryId, refusal, waiter.SentAt, _stopping.Token);
                if (recorded is not null)
                {
                    waiter.Outcome.TrySetResult(recorded);
                    return;
                }
            }
            catch (Exception e)
            {
                if (_stopping.IsCancellationRequested)
                {
                    // Unacked, the message comes back to the next worker; this waiter must not outlive the lane.
                    waiter.Outcome.TrySetCanceled();
                    return;
                }
                // Not recorded (the database is away): thrown as it came, so the retry finds it again.
                Log.RefusalNotRecorded(_logger, waiter.DeliveryId, e.GetType().Name);
            }
        }
        await CountFailedAttemptsAsync([waiter]);
        waiter.Outcome.TrySetException(failure);
    }

    private async Task<IReadOnlyDictionary<Guid, DeliveryOutcome>> RunTransactionAsync(IReadOnlyList<Waiter> batch)
    {
        // A scope (and so a DbContext and an applier) per transaction: a retry must not see what a failed one tracked.
        await using var scope = _scopes.CreateAsyncScope();
        var processor = scope.ServiceProvider.GetRequiredService<DeliveryProcessor>();
        var fetched = new Dictionary<Guid, FetchedItems>();
        var sentAt = new Dictionary<Guid, DateTimeOffset>();
        foreach (var waiter in batch)
        {
            if (waiter.Fetched is { } items)
            {
                fetched[waiter.DeliveryId] = items;
            }
            if (waiter.SentAt is { } sent)
            {
                sentAt.TryAdd(waiter.DeliveryId, sent);
            }
        }
        return await processor.ProcessManyAsync([.. batch.Select(w => w.DeliveryId)], fetched, sentAt, _stopping.Token);
    }

    private static void Complete(IReadOnlyList<Waiter> batch, IReadOnlyDictionary<Guid, DeliveryOutcome> outcomes)
    {
        foreach (var waiter in batch)
        {
            if (outcomes.TryGetValue(waiter.DeliveryId, out var outcome))
            {
                waiter.Outcome.TrySetResult(outcome);
            }
            else
            {
                waiter.Outcome.TrySetException(new PermanentDeliveryException($"Delivery {waiter.DeliveryId} does not exist."));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _toFetch.Writer.TryComplete();
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await Task.WhenAll(_lanes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_fetches.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (_toFetch.Reader.TryRead(out var waiter) || _queue.Reader.TryRead(out waiter))
        {
            waiter.Outcome.TrySetCanceled();
        }
        _stopping.Dispose();
    }

    /// <summary>
    /// A batch of one stays in its message's trace (made current; no span of its own); a larger batch is a span of its
    /// own, linked to each message's. The caller restores <see cref="Activity.Current"/> when the batch is done.
    /// </summary>
    private static Activity? StartBatchActivity(List<Waiter> batch, string name)
    {
        if (batch.Count == 1)
        {
            Activity.Current = batch[0].Activity;
            return null;
        }
        var activity = WorkerTelemetry.ActivitySource.StartActivity(ActivityKind.Internal, parentContext: default,
            links: [.. batch.Where(w => w.Activity is not null).Select(w => new ActivityLink(w.Activity!.Context))], name: name);
        activity?.SetTag("webhooks.batch_size", batch.Count);
        return activity;
    }

    private sealed record Waiter(Guid DeliveryId, DateTimeOffset? SentAt, Activity? Activity, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<DeliveryOutcome> Outcome { get; init; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>What the fetch step read for it; null when it passed none (its sender's events are complete).</summary>
        public FetchedItems? Fetched { get; init; }
    }
}
