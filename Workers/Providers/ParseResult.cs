using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers;

/// <summary>
/// What a parser made of a payload: changes, or the reason it was ignored or failed. Every text in it is fit for
/// PostgreSQL (<see cref="SenderText"/>), whichever parser made it: ids, keys, bodies and reasons that quote the payload.
/// </summary>
public sealed record ParseResult
{
    private ParseResult(ParseOutcome outcome, IReadOnlyList<NormalizedChange> changes, string? reason)
    {
        Outcome = outcome;
        Changes = changes;
        Reason = SenderText.Clean(reason);
    }

    public ParseOutcome Outcome { get; }
    public IReadOnlyList<NormalizedChange> Changes { get; }
    public string? Reason { get; }

    public static ParseResult Parsed(IReadOnlyList<NormalizedChange> changes) =>
        new(ParseOutcome.Parsed, [.. changes.Select(SenderText.Clean)], null);

    public static ParseResult Ignored(string reason) => new(ParseOutcome.Ignored, [], reason);

    public static ParseResult Failed(string reason) => new(ParseOutcome.Failed, [], reason);
}
