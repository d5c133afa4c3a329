using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Webhooks.Ingress.Console;

/// <summary>One queue as the broker reports it.</summary>
public sealed record QueueStatistics(string Name, long Messages, long Ready, long Unacknowledged, int Consumers);

/// <summary>Every queue of the vhost, or why there is no answer (not configured, unreachable, refused).</summary>
public sealed record BrokerSnapshot(IReadOnlyDictionary<string, QueueStatistics> Queues, string? Problem)
{
    public QueueStatistics? Find(string queue) => Queues.GetValueOrDefault(queue);
}

/// <summary>
/// Queue depth and consumers from RabbitMQ's management API (one request for the whole vhost), with an operator's
/// read-only credential: the ingress's AMQP user may not read queues. Any failure is a described problem, never an exception.
/// </summary>
public sealed partial class BrokerStatistics(IHttpClientFactory clients, IOptions<ConsoleOptions> options, IOptions<RabbitMqTransportOptions> transport, ILogger<BrokerStatistics> logger)
{
    public const string HttpClientName = "console-rabbitmq-management";

    public async Task<BrokerSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.RabbitMqManagementUrl))
        {
            return new BrokerSnapshot(new Dictionary<string, QueueStatistics>(),
                "Queue statistics are not configured: set Console__RabbitMqManagementUrl (with a user tagged monitoring) to see queue depth and consumers.");
        }
        var vhost = string.IsNullOrEmpty(transport.Value.VHost) ? "/" : transport.Value.VHost;
        var url = $"{settings.RabbitMqManagementUrl.TrimEnd('/')}/api/queues/{Uri.EscapeDataString(vhost)}?columns=name,messages,messages_ready,messages_unacknowledged,consumers";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RabbitMqManagementTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (!string.IsNullOrEmpty(settings.RabbitMqManagementUser))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.RabbitMqManagementUser}:{settings.RabbitMqManagementPassword}")));
            }
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.Refused(logger, (int)response.StatusCode);
                return new BrokerSnapshot(new Dictionary<string, QueueStatistics>(),
                    $"RabbitMQ's management API answered {(int)response.StatusCode}: check Console__RabbitMqManagementUser (tagged monitoring) and its password.");
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            var queues = new Dictionary<string, QueueStatistics>(StringComparer.Ordinal);
            foreach (var queue in document.RootElement.EnumerateArray())
            {
                var name = queue.GetProperty("name").GetString() ?? "";
                queues[name] = new QueueStatistics(name, Number(queue, "messages"), Number(queue, "messages_ready"), Number(queue, "messages_unacknowledged"),
                    (int)Number(queue, "consumers"));
            }
            return new BrokerSnapshot(queues, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            Log.Unreachable(logger, e.GetType().Name);
            return new BrokerSnapshot(new Dictionary<string, QueueStatistics>(),
                cancellationToken.IsCancellationRequested ? "Cancelled." : "RabbitMQ's management API is unreachable: queue depth, consumers and dead letters are unknown right now.");
        }
    }

    /// <summary>The management API leaves a count out until its statistics have a value.</summary>
    private static long Number(JsonElement queue, string name) =>
        queue.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Console: RabbitMQ's management API answered {StatusCode}")]
        public static partial void Refused(ILogger logger, int statusCode);

        [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Console: RabbitMQ's management API is unreachable ({Error})")]
        public static partial void Unreachable(ILogger logger, string error);
    }
}
