namespace Webhooks.Ingress.Webhook;

/// <summary>One of an integration's signing secrets, decrypted, as the directory holds it. Its text never shows the value.</summary>
public sealed record SigningSecret(string Value, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt)
{
    public bool IsInForceAt(DateTimeOffset now) => ExpiresAt is not { } expires || expires > now;

    public override string ToString() => $"SigningSecret {{ CreatedAt = {CreatedAt:O}, ExpiresAt = {ExpiresAt:O} }}";
}
