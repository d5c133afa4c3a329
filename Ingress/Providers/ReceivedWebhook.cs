namespace Webhooks.Ingress.Providers;

/// <summary>A request as the receivers see it: the raw bytes (signatures cover them, never a re-serialisation).</summary>
/// <param name="CallbackUrl">The URL exactly as registered with the sender (public base URL + path), not rebuilt from the request.</param>
public sealed record ReceivedWebhook(ReadOnlyMemory<byte> Body, IHeaderDictionary Headers, string CallbackUrl)
{
    /// <summary>
    /// A signature header's value for checking. Sent more than once, every value is kept, joined with ',' (empty ones
    /// too), so a duplicated signature header verifies by neither value; <c>IHeaderDictionary</c>'s own string form
    /// drops empty values, which would let <c>[valid, ""]</c> through.
    /// </summary>
    public string? Signature(string header) => Headers[header] switch
    {
        { Count: 0 } => null,
        { Count: 1 } one => one[0],
        var several => string.Join(',', several.Select(value => value ?? "")),
    };

    /// <summary>A header value as a sender's delivery id: trimmed; null when absent or blank.</summary>
    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
