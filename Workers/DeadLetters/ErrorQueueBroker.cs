using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// The operator's AMQP connection (RabbitMQ.Client, the client MassTransit itself uses). MassTransit 8 has no
/// "move back" for RabbitMQ, and AMQP 0-9-1 has no non-destructive browse: every read is a get-and-hold (masstransit.md §4.4).
/// </summary>
public sealed class ErrorQueueBroker : IAsyncDisposable
{
    private readonly IConnection _connection;

    private ErrorQueueBroker(IConnection connection, OperatorSettings settings)
    {
        _connection = connection;
        Settings = settings;
    }

    public OperatorSettings Settings { get; }

    public static async Task<ErrorQueueBroker> ConnectAsync(OperatorSettings settings, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            VirtualHost = settings.VirtualHost,
            UserName = settings.User,
            Password = settings.Password,
            ClientProvidedName = "webhooks-dead-letters",
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            AutomaticRecoveryEnabled = false,
        };
        IConnection? connection = null;
        try
        {
            connection = await factory.CreateConnectionAsync(cancellationToken);
            // A missing vhost or missing permissions close the connection right after it opens: find out now.
            await using (await connection.CreateChannelAsync(cancellationToken: cancellationToken))
            {
            }
            return new ErrorQueueBroker(connection, settings);
        }
        catch (Exception e) when (e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException)
        {
            connection?.Dispose();
            throw new CommandFailedException(
                $"RabbitMQ refused or is not reachable at {settings.DescribeBroker()}: {Innermost(e).Message}. {OperatorSettings.BrokerSettingsHint}", e);
        }
    }

    /// <summary>Messages ready in a queue, or null when the queue does not exist (no message ever faulted there).</summary>
    public async Task<uint?> CountAsync(string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel (404): use a channel of its own.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    public async Task<bool> ExchangeExistsAsync(string exchange, CancellationToken cancellationToken)
    {
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange, cancellationToken);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Starts a pass over a provider's error queue, or returns null when it has no error queue. The pass reads at most
    /// the messages present when it starts, so faults arriving meanwhile cannot make it loop forever.
    /// </summary>
    public async Task<ErrorQueuePass?> OpenPassAsync(Provider provider, CancellationToken cancellationToken)
    {
        var queue = QueueNames.ErrorQueueFor(provider);
        if (await CountAsync(queue, cancellationToken) is not { } count)
        {
            return null;
        }
        // Confirms with tracking: BasicPublishAsync completes on the broker's ack and throws on a nack or a return.
        var channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        return new ErrorQueuePass(provider, queue, count, channel);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _connection.CloseAsync();
        }
        catch (AlreadyClosedException)
        {
            // Already gone: the broker requeued whatever was unacked.
        }
        _connection.Dispose();
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
