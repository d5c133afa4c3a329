using System.Text;
using RabbitMQ.Client;
using Webhooks.Contracts;
using Webhooks.Workers.DeadLetters;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>What a replayed message carries: the original identity and trace, none of the fault's or broker's marks.</summary>
public sealed class ErrorQueueMessageTests
{
    private static readonly Guid DeliveryId = Guid.Parse("01a2050b-741b-774a-aeda-c59bf074a072");
    private static readonly Guid IntegrationId = Guid.Parse("01a2050b-7264-771b-9eb5-9a166d7306da");

    [Test]
    public void Replay_keeps_the_message_id_and_trace_and_drops_the_fault_host_and_broker_headers()
    {
        var message = ErrorQueueMessage.From(Provider.Jira, Faulted(new Dictionary<string, object?>
        {
            ["MT-Activity-Id"] = Bytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ["MT-Reason"] = Bytes("fault"),
            ["MT-Fault-ExceptionType"] = Bytes("Npgsql.PostgresException"),
            ["MT-Fault-Message"] = Bytes("40001: injected transient failure"),
            ["MT-Fault-Timestamp"] = Bytes("2026-11-22T20:56:10.2727443Z"),
            ["MT-Fault-RetryCount"] = 2,
            ["MT-Host-MachineName"] = Bytes("vm"),
            ["x-death"] = new List<object?>(),
            ["x-delivery-count"] = 3,
            ["x-dotnet-pub-seq-no"] = 7L,
            [ErrorQueueMessage.ReplayCountHeader] = 1,
        }));
        var now = new DateTimeOffset(2026, 11, 22, 21, 0, 0, TimeSpan.Zero);

        var replayed = message.ReplayProperties(now);

        Assert.That((replayed.MessageId, replayed.CorrelationId, replayed.ContentType, replayed.Persistent),
            Is.EqualTo((DeliveryId.ToString(), "correlation", "application/vnd.masstransit+json", true)));
        Assert.That(replayed.Headers!.Keys, Is.EquivalentTo(new[]
        {
            "MT-Activity-Id", ErrorQueueMessage.ReplayCountHeader, ErrorQueueMessage.ReplayedAtHeader, "MT-Activity-Propagation",
        }));
        Assert.That(replayed.Headers[ErrorQueueMessage.ReplayCountHeader], Is.EqualTo(2));
        Assert.That(replayed.Headers[ErrorQueueMessage.ReplayedAtHeader], Is.EqualTo("2026-11-22T21:00:00.0000000+00:00"));
        Assert.That(replayed.Headers["MT-Activity-Propagation"], Is.EqualTo("Link"), "a new trace linked to the original");
    }

    [Test]
    public void Fault_headers_are_read_from_amqp_bytes()
    {
        var message = ErrorQueueMessage.From(Provider.Jira, Faulted(new Dictionary<string, object?>
        {
            ["MT-Fault-ExceptionType"] = Bytes("Npgsql.PostgresException"),
            ["MT-Fault-Message"] = Bytes("40001: injected transient failure"),
            ["MT-Fault-Timestamp"] = Bytes("2026-11-22T20:56:10.2727443Z"),
            ["MT-Fault-RetryCount"] = 2,
            ["MT-Fault-InputAddress"] = Bytes("rabbitmq://127.0.0.1/some-vhost/webhooks-jira"),
        }));

        Assert.That((message.DeliveryId, message.IntegrationId), Is.EqualTo(((Guid?)DeliveryId, (Guid?)IntegrationId)));
        Assert.That((message.ExceptionType, message.FaultMessage, message.RetryCount, message.SourceQueue),
            Is.EqualTo(("Npgsql.PostgresException", "40001: injected transient failure", (int?)2, "webhooks-jira")));
        Assert.That(message.FailedAt, Is.EqualTo(new DateTimeOffset(2026, 11, 22, 20, 56, 10, TimeSpan.Zero).AddTicks(2727443)));
        Assert.That(new DeadLetterFilter { ExceptionType = "PostgresException" }.Matches(message), Is.True);
        Assert.That(new DeadLetterFilter { ExceptionType = "TimeoutException" }.Matches(message), Is.False);
        Assert.That(new DeadLetterFilter { Since = new DateTimeOffset(2026, 11, 22, 21, 0, 0, TimeSpan.Zero) }.Matches(message), Is.False);
        Assert.That(new DeadLetterFilter { Ids = new HashSet<string> { DeliveryId.ToString() } }.Matches(message), Is.True);
    }

    private static BasicGetResult Faulted(Dictionary<string, object?> headers)
    {
        var properties = new BasicProperties
        {
            MessageId = DeliveryId.ToString(),
            CorrelationId = "correlation",
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        var body = Bytes($$$"""{"messageId":"{{{DeliveryId}}}","message":{"deliveryId":"{{{DeliveryId}}}","integrationId":"{{{IntegrationId}}}","provider":"jira"}}""");
        return new BasicGetResult(1, false, "webhooks-jira_error", "", 0, properties, body);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
