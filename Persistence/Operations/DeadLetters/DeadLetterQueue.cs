namespace Webhooks.Persistence.Operations.DeadLetters;

/// <summary>A provider's error queue; <see cref="MessageCount"/> null when it does not exist (nothing ever failed there).</summary>
public sealed record DeadLetterQueue(string Provider, string Queue, uint? MessageCount);
