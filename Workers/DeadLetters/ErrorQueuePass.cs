using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// One pass over one error queue on one channel. Every message taken stays unacked until it is replayed (published
/// with a broker confirm, then acked), removed (acked), or the pass ends: held messages are requeued only then, so
/// a get never hands the same message back twice. A crash at any point loses nothing: the broker requeues every
/// unacked message when the channel goes.
/// </summary>
public sealed class ErrorQueuePass : IAsyncDisposable
{
    private readonly IChannel _channel;
    private readonly uint _snapshot;
    private uint _taken;
    private ulong _lastHeld;

    internal ErrorQueuePass(Provider provider, string queue, uint snapshot, IChannel channel)
    {
        Provider = provider;
        Queue = queue;
        _snapshot = snapshot;
        _channel = channel;
    }

    public Provider Provider { get; }
    public string Queue { get; }
    /// <summary>The queue's length when the pass began.</summary>
    public uint Count => _snapshot;
    /// <summary>The exchange MassTransit sends through and binds to the provider's queue.</summary>
    public string TargetExchange => QueueNames.For(Provider);
    public int Held { get; private set; }

    /// <summary>Called after a replay's publish is confirmed and before its ack: tests simulate a crash there.</summary>
    internal Func<ErrorQueueMessage, Task>? AfterPublishConfirmed { get; set; }

    public async Task<ErrorQueueMessage?> NextAsync(CancellationToken cancellationToken)
    {
        if (_taken >= _snapshot)
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

    /// <summary>
    /// Publishes the message back to its provider's exchange (mandatory, confirmed), and only then acks the original.
    /// If the publish fails the original is requeued and the exception propagates.
    /// </summary>
    public async Task ReplayAsync(ErrorQueueMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.BasicPublishAsync(TargetExchange, routingKey: "", mandatory: true, message.ReplayProperties(now), message.Body, cancellationToken);
        }
        catch (PublishException e)
        {
            await _channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, cancellationToken);
            throw new CommandFailedException(e.IsReturn
                ? $"The broker returned message {message.MessageId}: exchange {TargetExchange} has no queue bound. Run `Webhooks.Workers deploy-topology`, then replay again."
                : $"The broker refused message {message.MessageId} (nack); it stays in {Queue}. Check the broker's logs and replay again.", e);
        }
        if (AfterPublishConfirmed is { } hook)
        {
            await hook(message);
        }
        await _channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
    }

    /// <summary>Removes the message for good (purge): ack.</summary>
    public async Task RemoveAsync(ErrorQueueMessage message, CancellationToken cancellationToken) =>
        await _channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);

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
