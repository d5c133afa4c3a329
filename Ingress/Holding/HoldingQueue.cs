using MassTransit;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Holding;

/// <summary>
/// The second durable place a delivery can be accepted into: while PostgreSQL is unreachable the whole payload is
/// sent, persistent and publisher-confirmed, to the quorum queue <see cref="QueueNames.Holding"/>. A worker stores
/// it once the database is back, and it is then processed like any other. <c>Mandatory</c> makes a missing queue
/// (topology never deployed) a failure rather than a silent drop. Each message carries the integration's account and
/// a <see cref="HeldDeliverySeal"/>: the worker stores only what an ingress sealed.
/// </summary>
public sealed partial class HoldingQueue(IBus bus, HeldDeliverySeal seal, IOptions<HoldingOptions> options, ILogger<HoldingQueue> logger)
{
    private volatile bool _lastAttemptFailed;

    /// <summary>The most recent attempt to hold a delivery failed (the broker did not confirm it in time).</summary>
    public bool LastAttemptFailed => _lastAttemptFailed;

    /// <summary>True once the broker has confirmed the message; false when the delivery could not be held.</summary>
    public async Task<bool> TryHoldAsync(DeliveryRow row, Guid accountId)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return false;
        }
        // Never hang a sender's request on the broker: a stopped broker with a stopped database is a 503, quickly.
        using var timeout = new CancellationTokenSource(settings.SendTimeout);
        try
        {
            // The key ring is in memory (KeyRingPreload loaded it while PostgreSQL was up).
            var message = new HeldDelivery(row.Id, row.IntegrationId, row.Provider, row.ReceivedAt, row.Headers, row.ContentType, row.Body,
                row.SourceDeliveryId, row.SignatureVerified, accountId);
            message = message with { Seal = seal.Seal(message) };
            var endpoint = await bus.GetSendEndpoint(QueueNames.HoldingSendAddress);
            await endpoint.Send(message, context =>
            {
                context.MessageId = row.Id;
                context.Durable = true;
                if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
                {
                    rabbit.Mandatory = true;
                }
            }, timeout.Token);
            _lastAttemptFailed = false;
            Log.Held(logger, row.Id, row.Body.Length);
            return true;
        }
        catch (Exception e)
        {
            _lastAttemptFailed = true;
            Log.NotHeld(logger, row.Id, e.GetType().Name, e.Message);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1501, LogLevel.Warning, "PostgreSQL could not take delivery {DeliveryId}: held it ({Bytes} bytes) in the holding queue")]
        public static partial void Held(ILogger logger, Guid deliveryId, int bytes);

        [LoggerMessage(1502, LogLevel.Error, "Could not hold delivery {DeliveryId} either ({ExceptionType}: {Reason})")]
        public static partial void NotHeld(ILogger logger, Guid deliveryId, string exceptionType, string reason);
    }
}
