using System.ComponentModel.DataAnnotations;
using Webhooks.Contracts;

namespace Webhooks.Workers;

/// <summary>
/// Section <c>Workers</c>. Environment form: <c>Workers__Providers=jira,github</c>, <c>Workers__HealthPort=8082</c>.
/// Checked before the process takes traffic; a bad value stops start-up naming its key.
/// </summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Workers";

    /// <summary>Providers to consume, by wire name: a comma-separated string or a list. Empty means all of them.</summary>
    public IList<string> Providers { get; } = [];

    /// <summary>
    /// Messages each queue hands to consumers at once. Single-delivery messages (replays, hand-backs) wait for a batch
    /// (<see cref="BatchSize"/>): full batches of them need more than <see cref="BatchSize"/> × <see cref="BatchConcurrency"/>.
    /// The default (250, with <see cref="PrefetchCount"/>) is below that, for a bounded memory under a backlog of batch
    /// messages (see PrefetchCount); a bulk replay of single messages measured 4,895/s with it against 5,036/s with 500.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Workers:ConcurrentMessageLimit must be between {1} and {2}.")]
    public int ConcurrentMessageLimit { get; set; } = 250;

    /// <summary>
    /// Messages each queue hands this process before it acks any. A backlog's batch messages wait here, each naming up
    /// to the ingress's <c>Outbox:DeliveriesPerMessage</c> deliveries read into about 1 KB each, so this bounds the memory
    /// a backlog takes and how much of it one replica keeps from the others (1,000 × 200 took one worker to 393 MB
    /// draining 150,000 deliveries, 250 × 100 kept it at 262 MB: docs/benchmarks.md). More than
    /// <see cref="ConcurrentMessageLimit"/> only holds messages no consumer has taken.
    /// </summary>
    [Range(1, 10000, ErrorMessage = "Workers:PrefetchCount must be between {1} and {2}.")]
    public int PrefetchCount { get; set; } = 250;

    /// <summary>Most deliveries processed in one transaction.</summary>
    [Range(1, 1000, ErrorMessage = "Workers:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    /// <summary>Batches in flight at once in this process: one fills while another commits.</summary>
    [Range(1, 64, ErrorMessage = "Workers:BatchConcurrency must be between {1} and {2}.")]
    public int BatchConcurrency { get; set; } = 2;

    /// <summary>
    /// Deliveries of batch messages (<c>ProcessDeliveryBatch</c>, up to the ingress's <c>Outbox:DeliveriesPerMessage</c>
    /// each) worked on at once in this process; further messages wait unacked. Like <see cref="ConcurrentMessageLimit"/>
    /// for single messages, it must exceed <see cref="BatchSize"/> × <see cref="BatchConcurrency"/> for full batches.
    /// </summary>
    [Range(1, 100000, ErrorMessage = "Workers:BatchDeliveryLimit must be between {1} and {2}.")]
    public int BatchDeliveryLimit { get; set; } = 2000;

    /// <summary>Retries after the first attempt for transient failures; past it the message is dead-lettered.</summary>
    [Range(0, 20, ErrorMessage = "Workers:RetryLimit must be between {1} and {2}.")]
    public int RetryLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Workers:RetryMinInterval must be between {1} and {2}.")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>In-memory retry holds the message unacked: keep the total far below RabbitMQ's 30-minute consumer timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00", ErrorMessage = "Workers:RetryMaxInterval must be between {1} and {2}.")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Port of the health listener (<c>/health/live</c>, <c>/health/ready</c>); 0 picks a free one.</summary>
    [Range(0, 65535, ErrorMessage = "Workers:HealthPort must be between {1} and {2}.")]
    public int HealthPort { get; set; } = 8081;

    /// <summary>The providers this process consumes; call after validation.</summary>
    public IReadOnlyList<Provider> ConsumedProviders() =>
        Providers.Count == 0
            ? ProviderNames.All
            : Providers.Select(name => ProviderNames.TryParse(name, out var provider)
                    ? provider.Value
                    : throw new InvalidOperationException($"Workers:Providers: unknown provider '{name}'."))
                .Distinct()
                .ToList();
}
