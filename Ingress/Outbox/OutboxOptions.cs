using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Outbox;

/// <summary>Section <c>Outbox</c>: how the relay hands stored deliveries to the broker.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>
    /// Outbox rows claimed per pass. A row names the deliveries of one stored commit (up to
    /// <c>Ingress:MaxBatchSize</c>, 512) or one put-back delivery, so under load a pass takes a few thousand deliveries.
    /// </summary>
    [Range(1, 5000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Sends awaiting their broker confirm at once. Enough to keep confirms pipelined; hundreds at once only fight over
    /// the channel's locks (measured: lock contention was the ingress's largest single cost with a whole pass at once).
    /// </summary>
    [Range(1, 5000)]
    public int SendConcurrency { get; set; } = 32;

    /// <summary>
    /// Most deliveries named by one <c>ProcessDeliveryBatch</c>. The broker stores and delivers one message per batch, so
    /// its CPU and the relay's per delivery fall by about this factor under load; 1 sends one message per delivery.
    /// A worker holds up to <c>Workers:PrefetchCount</c> messages of a backlog, each read into about 1 KB per delivery
    /// it names, so the two together bound a worker's memory (docs/benchmarks.md); smaller messages cost the relay, the
    /// broker and the worker more per delivery (50 measured ~20 µs more worker CPU per delivery than 100 in a drain).
    /// </summary>
    [Range(1, 1000)]
    public int DeliveriesPerMessage { get; set; } = 100;

    /// <summary>
    /// How long a pass woken by a commit waits for more commits first. Below the relay's capacity every commit would
    /// otherwise be a pass, a broker message and a worker transaction of its own, at a fixed cost each; this trades that
    /// for a few milliseconds of latency. 0 starts the pass at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>A pass runs at least this often even when nothing woke the relay.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A send not confirmed by the broker within this counts as failed and is retried later.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);
}
