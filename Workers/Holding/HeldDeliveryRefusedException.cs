namespace Webhooks.Workers.Holding;

/// <summary>A held delivery that must not be stored (<see cref="HeldDeliveryConsumer"/>): never retried, moved to the error queue.</summary>
public sealed class HeldDeliveryRefusedException(string message) : Exception(message);
