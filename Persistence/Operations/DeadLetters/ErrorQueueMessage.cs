using System.Globalization;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using Webhooks.Contracts;

namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// One message taken (and still held, unacked) from a provider's error queue, with MassTransit's fault headers decoded
/// (masstransit.md §4.2). AMQP string headers arrive as UTF-8 bytes.
/// </summary>
public sealed class ErrorQueueMessage
{
    private ErrorQueueMessage(Provider provider, BasicGetResult result)
    {
        Provider = provider;
        DeliveryTag = result.DeliveryTag;
        Properties = result.BasicProperties;
        Body = result.Body.ToArray();
        Headers = DecodeHeaders(Properties.Headers);
        MessageId = Properties.MessageId;
        (DeliveryId, IntegrationId) = ReadEnvelope(Body);
        DeliveryId ??= Guid.TryParse(MessageId, out var id) ? id : null;
        FailedAt = Header("MT-Fault-Timestamp") is { } timestamp
            && DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
        RetryCount = int.TryParse(Header("MT-Fault-RetryCount"), CultureInfo.InvariantCulture, out var retries) ? retries : null;
    }

    public Provider Provider { get; }
    public ulong DeliveryTag { get; }
    public IReadOnlyBasicProperties Properties { get; }
    public byte[] Body { get; }
    /// <summary>Every header, decoded to text (nested tables and lists as JSON).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }
    public string? MessageId { get; }
    /// <summary>The message's <c>deliveryId</c>, or its MessageId (the ingress makes them equal).</summary>
    public Guid? DeliveryId { get; }
    public Guid? IntegrationId { get; }
    public DateTimeOffset? FailedAt { get; }
    public int? RetryCount { get; }
    public string ExceptionType => Header("MT-Fault-ExceptionType") ?? "";
    public string FaultMessage => Header("MT-Fault-Message") ?? "";
    public string? InputAddress => Header("MT-Fault-InputAddress");

    /// <summary>The queue the message failed on: the last segment of <c>MT-Fault-InputAddress</c>, without its query.</summary>
    public string? SourceQueue => InputAddress is { } address && Uri.TryCreate(address, UriKind.Absolute, out var uri)
        ? uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
        : null;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    internal static ErrorQueueMessage From(Provider provider, BasicGetResult result) => new(provider, result);

    private static (Guid? DeliveryId, Guid? IntegrationId) ReadEnvelope(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                return (GuidOf(message, "deliveryId"), GuidOf(message, "integrationId"));
            }
        }
        catch (JsonException)
        {
            // Not a MassTransit JSON envelope: the MessageId is all we know.
        }
        return (null, null);
    }

    private static Guid? GuidOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out var id) ? id : null;

    private static Dictionary<string, string> DecodeHeaders(IDictionary<string, object?>? headers)
    {
        var decoded = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers ?? new Dictionary<string, object?>())
        {
            decoded[name] = Decode(value);
        }
        return decoded;
    }

    private static string Decode(object? value) => value switch
    {
        null => "",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IDictionary<string, object?> table => JsonSerializer.Serialize(table.ToDictionary(e => e.Key, e => Decode(e.Value))),
        System.Collections.IEnumerable list and not string => JsonSerializer.Serialize(list.Cast<object?>().Select(Decode)),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
