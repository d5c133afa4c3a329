using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers;

/// <summary>What a parser made of a payload: changes, or the reason it was ignored or failed.</summary>
public sealed record ParseResult
{
    private ParseResult(ParseOutcome outcome, IReadOnlyList<NormalizedChange> changes, string? reason)
    {
        Outcome = outcome;
        Changes = changes;
        Reason = reason;
    }

    public ParseOutcome Outcome { get; }
    public IReadOnlyList<NormalizedChange> Changes { get; }
    public string? Reason { get; }

    public static ParseResult Parsed(IReadOnlyList<NormalizedChange> changes) => new(ParseOutcome.Parsed, changes, null);

    public static ParseResult Ignored(string reason) => new(ParseOutcome.Ignored, [], reason);

    public static ParseResult Failed(string reason) => new(ParseOutcome.Failed, [], reason);
}
