using System.Text;
using RabbitMQ.Client;
using Webhooks.Contracts;
using Webhooks.Persistence.Operations.DeadLetters;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>What an error-queue message says: its delivery, integration and MassTransit's fault, decoded from AMQP.</summary>
public sealed class ErrorQueueMessageTests
{
    private static readonly Guid DeliveryId = Guid.Parse("01a2050b-741b-774a-aeda-c59bf074a072");
    private static readonly Guid IntegrationId = Guid.Parse("01a2050b-7264-771b-9eb5-9a166d7306da");

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
