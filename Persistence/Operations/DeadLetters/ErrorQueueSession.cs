using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// One pass over one error queue on one channel. Every message taken stays unacked until it is removed (acked: after
/// its delivery was put back in the outbox, or by a purge) or the pass ends: held messages are requeued only then, so a
/// get never hands the same message back twice. A crash at any point loses nothing: the broker requeues every unacked
/// message when the channel goes.
/// A pass reads until the queue has nothing ready, not just the count it began with: a quorum queue applies returns
/// asynchronously, so right after another pass ended its count may not yet include what that pass put back. The cap
/// keeps a queue that fills faster than it is read from holding a pass forever.
/// </summary>
public sealed class ErrorQueueSession : IAsyncDisposable
{
    private static readonly TimeSpan ReturnSettleTime = TimeSpan.FromSeconds(1);

    private readonly IChannel _channel;
    private readonly uint _snapshot;
    private readonly long _cap;
    private long _taken;
    private ulong _lastHeld;

    internal ErrorQueueSession(Provider provider, string queue, uint snapshot, int cap, IChannel channel)
    {
        Provider = provider;
        Queue = queue;
        _snapshot = snapshot;
        _cap = cap;
        _channel = channel;
    }

    public Provider Provider { get; }
    public string Queue { get; }
    /// <summary>The queue's length when the pass began, as the broker reported it.</summary>
    public uint Count => _snapshot;
    public int Held { get; private set; }

    public async Task<ErrorQueueMessage?> NextAsync(CancellationToken cancellationToken)
    {
        if (_taken >= _cap)
        {
            return null;
        }
        var result = await _channel.BasicGetAsync(Queue, autoAck: false, cancellationToken);
        if (result is null)
        {
            return null;
        }
        _taken++;
        return ErrorQueueMessage.From(Provider, result);
    }

    /// <summary>Keep the message unacked until the end of the pass, then requeue it.</summary>
    public void Hold(ErrorQueueMessage message)
    {
        _lastHeld = Math.Max(_lastHeld, message.DeliveryTag);
        Held++;
    }

    /// <summary>Removes the message from the queue for good: ack.</summary>
    public async Task RemoveAsync(ErrorQueueMessage message, CancellationToken cancellationToken) =>
        await _channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);

    /// <summary>
    /// A quorum queue applies a return asynchronously: until it has, the messages are neither unacked nor ready, and a
    /// pass or count right after this one (the console refreshing after a replay) would miss them. Waits, briefly, until
    /// the queue shows at least as many ready as were held; if something else took them meanwhile, the wait just ends.
    /// </summary>
    private async Task WaitForReturnsAsync()
    {
        var deadline = Environment.TickCount64 + (long)ReturnSettleTime.TotalMilliseconds;
        while ((await _channel.QueueDeclarePassiveAsync(Queue)).MessageCount < Held && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>Closes the channel under the pass, as a crash would: every unacked message goes back to the queue.</summary>
    internal async Task AbortAsync() => await _channel.AbortAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_channel.IsOpen && Held > 0)
            {
                // Only held messages are still unacked on this channel: one multiple-nack requeues them all.
                await _channel.BasicNackAsync(_lastHeld, multiple: true, requeue: true);
                await WaitForReturnsAsync();
            }
            if (_channel.IsOpen)
            {
                await _channel.CloseAsync();
            }
        }
        catch (AlreadyClosedException)
        {
            // The broker requeues unacked messages of a closed channel anyway.
        }
        _channel.Dispose();
    }
}
