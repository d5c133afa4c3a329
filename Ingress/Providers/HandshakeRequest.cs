using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Providers;

/// <summary>
/// What a receiver sees of a request that may be a handshake: the integration and the headers (no body has been read).
/// </summary>
/// <param name="Secrets">Where a signing secret handed over in a handshake is kept, under the handshake rules.</param>
/// <param name="RetryAfterSeconds">For a 503 when the handshake could not be completed now.</param>
public sealed record HandshakeRequest(LiveIntegration Integration, IHeaderDictionary Headers, SigningSecretStore Secrets, int RetryAfterSeconds);
