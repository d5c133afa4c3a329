using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Holding;

/// <summary>Section <c>Holding</c>: the fallback used when PostgreSQL cannot take a delivery.</summary>
public sealed class HoldingOptions
{
    public const string SectionName = "Holding";

    /// <summary>Off: a delivery PostgreSQL cannot take is answered 503 with Retry-After, as before.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a request waits for the broker's confirm before it is answered 503 instead.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30", ErrorMessage = "Holding:SendTimeout must be between {1} and {2}.")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
