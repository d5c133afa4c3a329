namespace Webhooks.Workers.Providers;

public enum ParseOutcome
{
    /// <summary>The payload describes changes to apply (possibly none).</summary>
    Parsed,
    /// <summary>A well-formed event the pipeline does not act on (an unknown event type); recorded as <c>ignored</c>.</summary>
    Ignored,
    /// <summary>Not what the sender sends (not JSON, missing the parts every such webhook has); recorded as <c>failed</c>, never retried.</summary>
    Failed,
}
