using System.Text;
using System.Text.RegularExpressions;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// Senders echo the callback URL we gave them inside their payloads (Trello's <c>webhook.callbackURL</c>, Rally's
/// <c>rule.TargetUrl</c>, GitHub's ping <c>hook.config.url</c>), and that URL carries the webhook token: the one
/// credential of an integration without a signing secret. Bodies are stored, shown and backed up, so the token is
/// replaced by <see cref="Placeholder"/> before a body is stored. The signature was checked over the raw bytes first, and
/// no parser reads these fields.
/// </summary>
public static partial class BodyToken
{
    public const string Placeholder = "[token]";

    private static ReadOnlySpan<byte> PlaceholderBytes => "[token]"u8;

    /// <summary>The body with every copy of <paramref name="token"/> (in any case) replaced; the same memory when it holds none.</summary>
    public static ReadOnlyMemory<byte> Redact(ReadOnlyMemory<byte> body, string token)
    {
        Span<byte> lower = stackalloc byte[WebhookToken.Length];
        if (token.Length != WebhookToken.Length || Ascii.ToLower(token, lower, out _) != System.Buffers.OperationStatus.Done)
        {
            return body;
        }
        var first = IndexOf(body.Span, lower);
        if (first < 0)
        {
            return body;
        }
        var span = body.Span;
        var redacted = new List<byte>(span.Length);
        var start = 0;
        var at = first;
        while (at >= 0)
        {
            redacted.AddRange(span[start..at]);
            redacted.AddRange(PlaceholderBytes);
            start = at + WebhookToken.Length;
            var next = IndexOf(span[start..], lower);
            at = next < 0 ? -1 : start + next;
        }
        redacted.AddRange(span[start..]);
        return redacted.ToArray();
    }

    /// <summary>
    /// Text shown from a stored body with any webhook token in a callback URL (<c>/webhooks/&lt;32 hex&gt;</c>, its
    /// slash JSON-escaped, percent-encoded or neither) replaced: rows stored before the ingress redacted them are shown without it too.
    /// </summary>
    public static string RedactCallbackUrls(string text) => CallbackUrlToken().Replace(text, match => match.Groups["keep"].Value + Placeholder);

    /// <summary>Where a case-insensitive copy of the lower-case <paramref name="token"/> starts; -1 when none.</summary>
    private static int IndexOf(ReadOnlySpan<byte> span, ReadOnlySpan<byte> token)
    {
        var offset = 0;
        while (span.Length - offset >= token.Length)
        {
            var candidate = span[offset..].IndexOfAny(token[0], (byte)char.ToUpperInvariant((char)token[0]));
            if (candidate < 0 || span.Length - offset - candidate < token.Length)
            {
                return -1;
            }
            var at = offset + candidate;
            if (Ascii.EqualsIgnoreCase(span.Slice(at, token.Length), token))
            {
                return at;
            }
            offset = at + 1;
        }
        return -1;
    }

    // Linear (no nested quantifier), so no timeout: a body is never shown unredacted for taking long.
    [GeneratedRegex(@"(?<keep>webhooks(?:\\?/|%2[Ff]))[0-9A-Fa-f]{32}(?![0-9A-Fa-f])", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: Timeout.Infinite)]
    private static partial Regex CallbackUrlToken();
}
