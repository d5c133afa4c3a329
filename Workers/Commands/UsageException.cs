namespace Webhooks.Workers.Commands;

/// <summary>A command line that parses but asks for something impossible: printed with a pointer to the help, exit 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message) : base(message)
    {
    }

    public UsageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
