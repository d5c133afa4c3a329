namespace Webhooks.Contracts;

/// <summary>The one place queue and exchange names are made: one queue per provider.</summary>
public static class QueueNames
{
    public static string For(Provider provider) => $"webhooks-{provider.ToWireName()}";

    /// <summary>MassTransit's dead-letter queue for a provider's queue.</summary>
    public static string ErrorQueueFor(Provider provider) => $"{For(provider)}_error";

    /// <summary>
    /// Send through the fanout exchange, never <c>queue:</c>: a <c>queue:</c> address re-declares the queue
    /// without <c>x-queue-type</c>, which RabbitMQ 3.10 refuses for a quorum queue (406).
    /// </summary>
    public static Uri SendAddressFor(Provider provider) => new($"exchange:{For(provider)}");

    /// <summary>The quorum queue (and its fanout exchange) holding whole deliveries while PostgreSQL is unreachable.</summary>
    public const string Holding = "webhooks-holding";

    /// <summary>The quorum queue of dead-letter records the workers could not write while PostgreSQL was unreachable.</summary>
    public const string Faults = "webhooks-faults";

    /// <summary>The queues beside the providers': holding and faults, and their error queues (what a worker gave up on).</summary>
    public static IReadOnlyList<string> SideQueues { get; } = [Holding, Holding + "_error", Faults, Faults + "_error"];

    /// <summary>Where the ingress sends a <see cref="HeldDelivery"/>: the exchange, never <c>queue:</c> (see <see cref="SendAddressFor"/>).</summary>
    public static Uri HoldingSendAddress { get; } = new($"exchange:{Holding}");
}
