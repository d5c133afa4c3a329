namespace Webhooks.Workers.Fetching;

/// <summary>
/// The sender's API still failed after the fetch's own retries. Transient: the delivery is retried and eventually
/// dead-lettered. The message names the provider, the path and the status, never the API token.
/// </summary>
public sealed class ItemFetchException : Exception
{
    public ItemFetchException()
    {
    }

    public ItemFetchException(string message) : base(message)
    {
    }

    public ItemFetchException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
