using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Section <c>DeadLetters</c>: the RabbitMQ user the admin API reads and acks the providers' error queues as; host,
/// port and vhost are <c>RabbitMqTransport</c>'s. The ingress's own broker user may read no queue, by design; this one
/// may only read <c>webhooks-&lt;provider&gt;_error</c> (the <c>operator</c> line of
/// deploy/services/rabbitmq-permissions.txt). Required, and checked at start, wherever the admin API is served.
/// </summary>
public sealed class DeadLetterOptions
{
    public const string SectionName = "DeadLetters";

    [Required(ErrorMessage = "DeadLetters:User is required where the admin API is served (environment: DeadLetters__User): the RabbitMQ user that may read the error queues.")]
    public string? User { get; set; }

    [Required(ErrorMessage = "DeadLetters:Pass is required where the admin API is served (environment: DeadLetters__Pass).")]
    public string? Pass { get; set; }
}
