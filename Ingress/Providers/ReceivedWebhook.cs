namespace Webhooks.Ingress.Providers;

/// <summary>A request as the receivers see it: the raw bytes (signatures cover them, never a re-serialisation).</summary>
/// <param name="CallbackUrl">The URL exactly as registered with the sender (public base URL + path), not rebuilt from the request.</param>
public sealed record ReceivedWebhook(ReadOnlyMemory<byte> Body, IHeaderDictionary Headers, string CallbackUrl);
