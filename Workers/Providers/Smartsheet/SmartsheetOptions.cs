namespace Webhooks.Workers.Providers.Smartsheet;

/// <summary>Section <c>Smartsheet</c>. Environment form: <c>Smartsheet__ChangeAgent=webhooks-acme</c>.</summary>
public sealed class SmartsheetOptions
{
    public const string SectionName = "Smartsheet";

    /// <summary>
    /// Our own <c>Smartsheet-Change-Agent</c>: events whose <c>changeAgent</c> contains it are our own writes coming
    /// back, and are skipped (providers.md §6.5). Unset: nothing is skipped.
    /// </summary>
    public string? ChangeAgent { get; set; }
}
