using System.ComponentModel.DataAnnotations;

namespace Webhooks.Workers.Holding;

/// <summary>Section <c>Holding</c> of the worker: draining the holding queue into PostgreSQL.</summary>
public sealed class HoldingOptions
{
    public const string SectionName = "Holding";

    /// <summary>While PostgreSQL is unreachable, how long a held delivery waits before it goes back to the queue's tail.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00", ErrorMessage = "Holding:RetryDelay must be between {1} and {2}.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1, 100, ErrorMessage = "Holding:ConcurrentMessageLimit must be between {1} and {2}.")]
    public int ConcurrentMessageLimit { get; set; } = 4;
}
