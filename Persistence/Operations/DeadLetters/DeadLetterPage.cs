namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>
/// One page of a provider's dead letters, newest failure first. <see cref="MessageCount"/> is the queue's length (null:
/// no such queue), <see cref="Scanned"/> how many were read (at most <see cref="DeadLetterQueues.MaxScanned"/>),
/// <see cref="Matching"/> how many of those matched the filter; <see cref="Messages"/> is the page.
/// </summary>
public sealed record DeadLetterPage(
    string Provider, string Queue, uint? MessageCount, int Scanned, int Matching, int Offset, int Limit, IReadOnlyList<DeadLetter> Messages);
