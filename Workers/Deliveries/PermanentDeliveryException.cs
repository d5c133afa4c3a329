namespace Webhooks.Workers.Deliveries;

/// <summary>
/// A message that can never be processed (its delivery row does not exist). Not retried: it goes straight to the
/// provider's error queue for a person to look at. Expected bad payloads are not exceptions: they are recorded outcomes.
/// </summary>
public sealed class PermanentDeliveryException : Exception
{
    public PermanentDeliveryException()
    {
    }

    public PermanentDeliveryException(string message) : base(message)
    {
    }

    public PermanentDeliveryException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
