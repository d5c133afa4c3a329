namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// A failure the operator can act on: its message says what went wrong and what to do. The command line prints it
/// without a stack trace and exits 1.
/// </summary>
public sealed class CommandFailedException : Exception
{
    public CommandFailedException()
    {
    }

    public CommandFailedException(string message) : base(message)
    {
    }

    public CommandFailedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
