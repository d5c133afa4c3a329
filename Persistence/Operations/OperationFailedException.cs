namespace Webhooks.Persistence.Operations;

/// <summary>
/// An operation that could not be done for a reason the operator can act on (the broker refused or is unreachable):
/// its message says what went wrong and which settings to check. The worker's command line prints it and exits 1; the
/// admin API logs it and answers 503.
/// </summary>
public sealed class OperationFailedException : Exception
{
    public OperationFailedException()
    {
    }

    public OperationFailedException(string message) : base(message)
    {
    }

    public OperationFailedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
