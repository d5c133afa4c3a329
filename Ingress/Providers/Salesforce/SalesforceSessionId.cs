namespace Webhooks.Ingress.Providers.Salesforce;

/// <summary>
/// An outbound message's <c>&lt;SessionId&gt;</c> is a live API session of the sending user: whoever reads the stored
/// body could call Salesforce as that user until it expires. Its value is replaced before the delivery is stored; every
/// other byte is kept as sent. The workers read the notifications, never the session.
/// </summary>
/// <remarks>
/// A byte scan rather than an XML reader: the stored body must stay byte for byte what was sent, and a malformed
/// message (stored for the worker to judge) must lose its session id too. Any element named <c>SessionId</c>, with or
/// without a prefix, whose text runs to its end tag, is redacted. The scan is linear in the body whatever a stranger
/// sends: a start tag ends before the next <c>&lt;</c> (XML allows none inside one), the value ends at the first
/// <c>&lt;/</c> after it, and that search is shared by all the candidates (5 MiB of <c>&lt;SessionId </c> or of
/// <c>&lt;SessionId&gt;</c> once held a core for minutes, one rescan of the rest of the body per candidate).
/// </remarks>
public static class SalesforceSessionId
{
    public static ReadOnlySpan<byte> Redacted => "[redacted]"u8;

    private static ReadOnlySpan<byte> Name => "SessionId"u8;

    public static ReadOnlyMemory<byte> Redact(ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        List<(int Start, int End)>? values = null;
        var endTags = new EndTagCursor(span);
        for (var from = 0; from < span.Length;)
        {
            var found = span[from..].IndexOf(Name);
            if (found < 0)
            {
                break;
            }
            var nameAt = from + found;
            from = nameAt + Name.Length;
            if (ValueOf(span, nameAt, ref endTags) is { } value)
            {
                (values ??= []).Add(value);
                from = value.End;
            }
        }
        if (values is null)
        {
            return body;
        }

        var redacted = new byte[span.Length + values.Sum(value => Redacted.Length - (value.End - value.Start))];
        int copied = 0, written = 0;
        foreach (var (start, end) in values)
        {
            span[copied..start].CopyTo(redacted.AsSpan(written));
            written += start - copied;
            Redacted.CopyTo(redacted.AsSpan(written));
            written += Redacted.Length;
            copied = end;
        }
        span[copied..].CopyTo(redacted.AsSpan(written));
        return redacted;
    }

    /// <summary>The value's byte range when <paramref name="nameAt"/> is the name of a start tag with content; otherwise null.</summary>
    private static (int Start, int End)? ValueOf(ReadOnlySpan<byte> span, int nameAt, ref EndTagCursor endTags)
    {
        // '<' directly before the name, or '<prefix:'.
        var open = nameAt - 1;
        var prefixStart = nameAt;
        if (open >= 0 && span[open] == ':')
        {
            prefixStart = open;
            while (prefixStart > 0 && IsNameByte(span[prefixStart - 1]))
            {
                prefixStart--;
            }
            open = prefixStart - 1;
            if (prefixStart == nameAt - 1)
            {
                return null;
            }
        }
        if (open < 0 || span[open] != '<')
        {
            return null;
        }
        var afterName = nameAt + Name.Length;
        if (afterName >= span.Length || !(span[afterName] is (byte)'>' or (byte)'/' || IsSpace(span[afterName])))
        {
            return null;
        }

        // The end of the start tag, past any quoted attribute values.
        var close = afterName;
        byte quote = 0;
        for (; close < span.Length; close++)
        {
            var b = span[close];
            if (quote != 0)
            {
                quote = b == quote ? (byte)0 : quote;
            }
            else if (b is (byte)'"' or (byte)'\'')
            {
                quote = b;
            }
            else if (b == '>')
            {
                break;
            }
            if (b == '<')
            {
                return null;
            }
        }
        if (close >= span.Length || span[close - 1] == '/')
        {
            return null;
        }

        // Text up to its end tag: the first '</' after the start tag, which must close this element (a session id
        // has no child elements).
        var start = close + 1;
        var at = endTags.FirstAtOrAfter(start);
        if (at < 0)
        {
            return null;
        }
        var qualifiedName = span[prefixStart..afterName];
        var rest = span[(at + 2)..];
        var closes = rest.StartsWith(qualifiedName) && rest.Length > qualifiedName.Length
            && (rest[qualifiedName.Length] == '>' || IsSpace(rest[qualifiedName.Length]));
        return closes && at > start ? (start, at) : null;
    }

    /// <summary>
    /// Where the next <c>&lt;/</c> is, remembered between candidates: they come in body order, so no byte is searched
    /// twice, and once there is none left every later candidate is answered at once.
    /// </summary>
    private ref struct EndTagCursor(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _searchedFrom = int.MaxValue;
        private int _found = -1;

        /// <summary>The index of the first <c>&lt;/</c> at or after <paramref name="from"/>, or -1.</summary>
        public int FirstAtOrAfter(int from)
        {
            if (_searchedFrom <= from && (_found < 0 || _found >= from))
            {
                return _found;
            }
            var found = _span[from..].IndexOf("</"u8);
            (_searchedFrom, _found) = (from, found < 0 ? -1 : from + found);
            return _found;
        }
    }

    private static bool IsNameByte(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        or (byte)'_' or (byte)'-' or (byte)'.' or >= 0x80;

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
