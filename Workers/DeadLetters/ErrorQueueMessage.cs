using System.Globalization;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using Webhooks.Contracts;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// One message taken (and still held, unacked) from a provider's error queue, with MassTransit's fault headers decoded
/// (masstransit.md §4.2). AMQP string headers arrive as UTF-8 bytes.
/// </summary>
public sealed class ErrorQueueMessage
{
    public const string ReplayCountHeader = "X-Webhooks-Replay-Count";
    public const string ReplayedAtHeader = "X-Webhooks-Replayed-At";

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
        ReplayCount = int.TryParse(Header(ReplayCountHeader), CultureInfo.InvariantCulture, out var replays) ? replays : 0;
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
    public int ReplayCount { get; }
    public string ExceptionType => Header("MT-Fault-ExceptionType") ?? "";
    public string FaultMessage => Header("MT-Fault-Message") ?? "";
    public string? InputAddress => Header("MT-Fault-InputAddress");

    /// <summary>The queue the message failed on: the last segment of <c>MT-Fault-InputAddress</c>, without its query.</summary>
    public string? SourceQueue => InputAddress is { } address && Uri.TryCreate(address, UriKind.Absolute, out var uri)
        ? uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
        : null;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    internal static ErrorQueueMessage From(Provider provider, BasicGetResult result) => new(provider, result);

    /// <summary>
    /// The properties a replay publishes with: the original ones (MessageId, CorrelationId, content type, persistence,
    /// MassTransit headers such as <c>MT-Activity-Id</c>), minus what the fault and the broker added, plus our replay
    /// headers and <c>MT-Activity-Propagation: Link</c> (a new trace linked to the original, masstransit.md §4.4).
    /// </summary>
    internal BasicProperties ReplayProperties(DateTimeOffset now)
    {
        var source = Properties;
        var properties = new BasicProperties
        {
            MessageId = source.MessageId,
            CorrelationId = source.CorrelationId,
            ContentType = source.ContentType,
            ContentEncoding = source.ContentEncoding,
            DeliveryMode = DeliveryModes.Persistent,
            Type = source.Type,
            AppId = source.AppId,
            UserId = source.UserId,
            ReplyTo = source.ReplyTo,
            Priority = source.Priority,
        };
        if (source.IsTimestampPresent())
        {
            properties.Timestamp = source.Timestamp;
        }
        var headers = new Dictionary<string, object?>();
        foreach (var (name, value) in source.Headers ?? new Dictionary<string, object?>())
        {
            if (!IsStripped(name))
            {
                headers[name] = value;
            }
        }
        headers[ReplayCountHeader] = ReplayCount + 1;
        headers[ReplayedAtHeader] = now.ToString("O", CultureInfo.InvariantCulture);
        headers["MT-Activity-Propagation"] = "Link";
        properties.Headers = headers;
        return properties;
    }

    internal static bool IsStripped(string header) =>
        header.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase)
        || header.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase)
        || header.StartsWith("x-first-death-", StringComparison.OrdinalIgnoreCase)
        || header.StartsWith("x-last-death-", StringComparison.OrdinalIgnoreCase)
        || header is "MT-Reason" or "x-death" or "x-delivery-count" or "x-dotnet-pub-seq-no"
        || header.Equals(ReplayCountHeader, StringComparison.OrdinalIgnoreCase)
        || header.Equals(ReplayedAtHeader, StringComparison.OrdinalIgnoreCase)
        || header.Equals("MT-Activity-Propagation", StringComparison.OrdinalIgnoreCase);

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
