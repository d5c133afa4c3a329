using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Retention;

/// <summary>
/// Section <c>Retention</c>: how long the delivery log keeps finished deliveries (their body, headers and outcome). Unset,
/// every delivery is kept and the table grows with the traffic (~2–4 KB a webhook on disk with its indexes).
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string SectionName = "Retention";

    /// <summary>
    /// Finished deliveries received longer ago than this are deleted (e.g. <c>30.00:00:00</c>); null keeps them all.
    /// Deliveries still waiting or on the broker and dead-lettered ones are never deleted.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00")]
    public TimeSpan? Deliveries { get; set; }

    /// <summary>
    /// Entries of the applied-change ledger older than this are deleted (e.g. <c>90.00:00:00</c>); null keeps them all, and
    /// the ledger grows by one row per applied change for ever. Past it, the same event sent again is applied again
    /// (a comment it made is found by its id and not added twice; an older status does not overwrite a newer one). Needs
    /// <see cref="Deliveries"/> and is at least as long: a delivery still in the log can be replayed, and its replay must
    /// still find its changes in the ledger.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00")]
    public TimeSpan? AppliedChanges { get; set; }

    /// <summary>How often the ingress looks for deliveries past <see cref="Deliveries"/> (and ledger entries past <see cref="AppliedChanges"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Deliveries deleted per statement (each its own transaction), so no pass holds locks for long.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AppliedChanges is { } ledger && (Deliveries is not { } log || ledger < log))
        {
            yield return new ValidationResult(
                "Retention:AppliedChanges needs Retention:Deliveries and must be at least as long: a delivery still in the log can be replayed, and its changes must still be in the ledger.",
                [nameof(AppliedChanges)]);
        }
    }
}
