namespace Webhooks.Workers.Fetching;

/// <summary>
/// The sender's API could not give the item. <see cref="Permanent"/> when trying again cannot help (a redirect, an answer
/// over the size limit or not JSON, a 4xx, a host that refuses connections): the delivery ends <c>failed</c> with the
/// message. Otherwise transient (timeouts, 429, 5xx) after the fetch's own retries: the delivery is retried and
/// eventually dead-lettered. The message names the provider, the path and the status: never the API token, the host,
/// the port or what the socket layer said (those go to the log).
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

    public ItemFetchException(string message, bool permanent) : base(message) => Permanent = permanent;

    public bool Permanent { get; }
}
