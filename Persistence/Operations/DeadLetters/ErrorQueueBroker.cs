using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;

namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// An AMQP connection to the providers' error queues (RabbitMQ.Client, the client MassTransit itself uses), described
/// by MassTransit's own <see cref="RabbitMqTransportOptions"/>. MassTransit 8 has no "move back" for RabbitMQ, and AMQP
/// 0-9-1 has no non-destructive browse: every read is a get-and-hold (masstransit.md §4.4). It only reads and acks:
/// a replay goes back through the outbox, never by publishing from here.
/// </summary>
public sealed class ErrorQueueBroker : IAsyncDisposable
{
    private readonly IConnection _connection;

    private ErrorQueueBroker(IConnection connection) => _connection = connection;

    /// <param name="settingsHint">Which settings to check when the broker refuses or cannot be reached (they differ per program).</param>
    public static async Task<ErrorQueueBroker> ConnectAsync(RabbitMqTransportOptions options, string settingsHint, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = options.Host,
            Port = options.Port,
            VirtualHost = options.VHost,
            UserName = options.User,
            Password = options.Pass,
            Ssl = new SslOption { Enabled = options.UseSsl, ServerName = options.Host },
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
            return new ErrorQueueBroker(connection);
        }
        catch (Exception e) when (e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException)
        {
            connection?.Dispose();
            throw new OperationFailedException(
                $"RabbitMQ refused or is not reachable at {Describe(options)}: {Innermost(e).Message}. {settingsHint}", e);
        }
    }

    public static string Describe(RabbitMqTransportOptions options) => $"{options.Host}:{options.Port}, vhost '{options.VHost}', user '{options.User}'";

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

    /// <summary>
    /// Starts a pass over a provider's error queue, or returns null when it has no error queue. The pass reads at most
    /// <paramref name="cap"/> messages beyond those present when it starts, so faults arriving meanwhile cannot make it
    /// loop forever.
    /// </summary>
    public async Task<ErrorQueueSession?> OpenPassAsync(Provider provider, int cap, CancellationToken cancellationToken)
    {
        var queue = QueueNames.ErrorQueueFor(provider);
        if (await CountAsync(queue, cancellationToken) is not { } count)
        {
            return null;
        }
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return new ErrorQueueSession(provider, queue, count, (int)Math.Min(int.MaxValue, (long)count + cap), channel);
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
