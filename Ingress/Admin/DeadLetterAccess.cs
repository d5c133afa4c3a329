using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Operations;
using Webhooks.Persistence.Operations.DeadLetters;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Opens the admin API's connection to the error queues (as <see cref="DeadLetterOptions"/>' user) for one operation
/// at a time per provider. RabbitMQ cannot browse: a list holds every message unacked while it reads, so two operations
/// on one queue at once would each see only part of it. Serialised here for this replica; other replicas and the
/// worker's command line may still interleave, which only makes a list show fewer messages.
/// </summary>
public sealed class DeadLetterAccess(IOptions<RabbitMqTransportOptions> transport, IOptions<DeadLetterOptions> options)
{
    /// <summary>What the dead-letter endpoints and pages answer 503 for: the broker refused the DeadLetters user or went away.</summary>
    public static bool IsBrokerFailure(Exception exception) => exception is OperationFailedException or RabbitMQClientException;

    /// <summary>What the 503 says; what to check is logged, never shown (it names hosts and users).</summary>
    public const string UnavailableDetail =
        "The error queues could not be read: RabbitMQ refused the DeadLetters user or could not be reached. The ingress log says which; retry later.";

    private const string SettingsHint =
        "Check DeadLetters__User and DeadLetters__Pass (that user must be allowed to read webhooks-<provider>_error) and RabbitMqTransport__Host, __Port and __VHost.";

    private readonly ConcurrentDictionary<Provider, SemaphoreSlim> _queues = new();

    public async Task<T> WithQueuesAsync<T>(Provider? provider, WebhooksDbContext db, Func<DeadLetterQueues, Task<T>> operation, CancellationToken cancellationToken)
    {
        var gate = provider is { } one ? _queues.GetOrAdd(one, _ => new SemaphoreSlim(1, 1)) : null;
        if (gate is not null)
        {
            await gate.WaitAsync(cancellationToken);
        }
        try
        {
            await using var broker = await ErrorQueueBroker.ConnectAsync(Connection(), SettingsHint, cancellationToken);
            return await operation(new DeadLetterQueues(broker, db));
        }
        finally
        {
            gate?.Release();
        }
    }

    private RabbitMqTransportOptions Connection()
    {
        var shared = transport.Value;
        return new RabbitMqTransportOptions
        {
            // UseSsl first: setting it moves a default port to the TLS one.
            UseSsl = shared.UseSsl,
            Host = shared.Host,
            Port = shared.Port,
            VHost = shared.VHost,
            User = options.Value.User!,
            Pass = options.Value.Pass!,
        };
    }
}
