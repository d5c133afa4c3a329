using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Webhooks.Workers.Tests.Hostile;

/// <summary>
/// Hostile copies of a recorded payload: cuts, byte flips, and the attacks of issue 11 placed where they hurt, inside a
/// body that is otherwise the sender's own (a depth bomb where the comment text was, NUL in the ids, dates and numbers
/// out of range, invalid UTF-8, ids past the columns and the index limit). JSON and XML recordings are edited in place
/// at the byte offsets of their values, so everything else stays as recorded.
/// </summary>
public static partial class HostileBodies
{
    /// <summary>Bytes that change what a JSON or XML reader sees: structure, quotes, escapes, digits, NUL, broken UTF-8.</summary>
    private static readonly byte[] Interesting = [.. "{}[]\":,\\0123456789-+.eE<>/&;=' \n"u8, 0x00, 0x80, 0xC3, 0xE2, 0xFF];

    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Overlong, truncated and surrogate sequences and bytes that never occur in UTF-8.</summary>
    private static readonly byte[] InvalidUtf8 = [0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0xF0, 0x90, 0x28, 0xBC, 0xED, 0xA0, 0x80, 0xC0, 0xAF, 0xFF, 0xFE];

    public const int FourMiB = 4 * 1024 * 1024;

    /// <summary>Distinct ids of a recording attacked one at a time (the recordings name up to a few dozen).</summary>
    private const int MaxIdsOneAtATime = 8;

    /// <summary><paramref name="count"/> cuts spread over the whole body: one seeded length in each of as many equal stretches.</summary>
    public static IEnumerable<(string What, byte[] Body)> Cuts(byte[] body, int count, Random random)
    {
        var lengths = new SortedSet<int>();
        for (var i = 0; i < count && body.Length > 0; i++)
        {
            var from = (int)((long)i * body.Length / count);
            var to = (int)((long)(i + 1) * body.Length / count);
            lengths.Add(from + random.Next(Math.Max(1, to - from)));
        }
        return lengths.Select(length => ($"cut at {length} of {body.Length} bytes", body[..length]));
    }

    /// <summary><paramref name="copies"/> copies with one to four bytes replaced (half of them by a byte that matters to a reader).</summary>
    public static IEnumerable<(string What, byte[] Body)> Flips(byte[] body, int copies, Random random)
    {
        for (var copy = 0; copy < copies && body.Length > 0; copy++)
        {
            var corrupted = (byte[])body.Clone();
            var where = new List<string>();
            for (var flip = random.Next(1, 5); flip > 0; flip--)
            {
                var at = random.Next(corrupted.Length);
                corrupted[at] = random.Next(2) == 0 ? Interesting[random.Next(Interesting.Length)] : (byte)random.Next(256);
                where.Add($"[{at}]=0x{corrupted[at]:X2}");
            }
            yield return ($"bytes flipped: {string.Join(" ", where)}", corrupted);
        }
    }

    /// <summary>The attacks placed inside one recording (JSON or XML by its extension; nothing for another format).</summary>
    public static IEnumerable<(string What, byte[] Body)> InPlace(string fixture, byte[] body, bool withFourMiB)
    {
        if (FormatOf(fixture) is not { } f)
        {
            yield break;
        }
        var values = ValuesOf(f, body);
        var texts = values.Where(v => v.Kind is ValueKind.String or ValueKind.Text).ToList();
        var longest = texts.OrderByDescending(v => v.Length).FirstOrDefault();
        var ids = values.Where(v => v.IsIdLike).ToList();
        var dates = texts.Where(v => v.IsDate).ToList();
        var numbers = values.Where(v => v.Kind == ValueKind.Number || (v.Kind == ValueKind.Text && double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))).ToList();
        var xml = f == Format.Xml;

        if (longest is not null)
        {
            yield return ("a 100,000-deep nesting where its longest text was",
                Splice(body, [(longest, Repeat(xml ? "<x>" : "[", 100_000) + Repeat(xml ? "</x>" : "]", 100_000), true)]));
            yield return ("200,000 elements where its longest text was",
                Splice(body, [(longest, xml ? Repeat("<x/>", 200_000) : "[" + Repeat("0,", 199_999) + "0]", true)]));
            yield return ("an escaped NUL in its longest text", Splice(body, [(longest, Insert(longest, xml ? "&#0;" : "\\u0000"), false)]));
            yield return ("a raw NUL byte in its longest text", Splice(body, [(longest, Insert(longest, "\0"), false)]));
            yield return ("lone surrogates in its longest text", Splice(body, [(longest, Insert(longest, xml ? "&#xD800;" : "\\ud800x\\udfff"), false)]));
            yield return ("invalid UTF-8 in its longest text", SpliceBytes(body, [longest], InvalidUtf8));
            if (withFourMiB)
            {
                yield return ("4 MiB of text where its longest text was", Splice(body, [(longest, new string('x', FourMiB), false)]));
            }
        }
        if (ids.Count > 0)
        {
            yield return ("a NUL in every id", Splice(body, [.. ids.Select(v => (v, Insert(v, xml ? "&#0;" : "\\u0000"), false))]));
            yield return ("lone surrogates in every id", Splice(body, [.. ids.Select(v => (v, Insert(v, xml ? "&#xDC00;" : "\\udc00"), false))]));
            yield return ("invalid UTF-8 in every id", SpliceBytes(body, ids, InvalidUtf8));
            yield return ("every id 201 characters long", Splice(body, [.. ids.Select(v => (v, new string(v.Kind == ValueKind.Number ? '9' : 'A', 201), false))]));
            yield return ("every id 3,000 characters long", Splice(body, [.. ids.Select(v => (v, new string(v.Kind == ValueKind.Number ? '7' : 'B', 3_000), false))]));
            yield return ("every id a dot-dot path", Splice(body, [.. ids.Select(v => (v, v.Kind == ValueKind.Number ? "\"..\"" : "..", v.Kind == ValueKind.Number))]));
            yield return ("every id a path, a query and a fragment", Splice(body, [.. ids.Select(v => (v, Quoted(v, xml ? "../../x?y=1&amp;z#w" : "../../x?y=1&z#w"), true))]));
            yield return ("every id quoting SQL", Splice(body, [.. ids.Select(v => (v, Quoted(v, "' OR '1'='1' --"), true))]));
            if (!xml)
            {
                yield return ("every id an object", Splice(body, [.. ids.Select(v => (v, "{\"$ne\":null}", true))]));
                yield return ("every id property twice", DuplicateProperties(body, ids));
            }
            // One id at a time, the others left as recorded: so the linked item still has its records and a comment,
            // story or row id past its column, past the index limit or walking up a fetch path reaches the applier.
            foreach (var id in ids.Select(v => v.Text).Distinct(StringComparer.Ordinal).Take(MaxIdsOneAtATime))
            {
                var same = ids.Where(v => v.Text == id).ToList();
                yield return ($"id {id} 201 characters long", Splice(body, [.. same.Select(v => (v, new string(v.Kind == ValueKind.Number ? '9' : 'C', 201), false))]));
                yield return ($"id {id} 3,000 characters long", Splice(body, [.. same.Select(v => (v, new string(v.Kind == ValueKind.Number ? '8' : 'D', 3_000), false))]));
                yield return ($"id {id} a dot-dot path", Splice(body, [.. same.Select(v => (v, v.Kind == ValueKind.Number ? "\"..\"" : "..", v.Kind == ValueKind.Number))]));
            }
        }
        if (dates.Count > 0)
        {
            yield return ("every date past year 9999", Splice(body, [.. dates.Select(v => (v, "9999-12-31T23:59:59.9999999-14:00", false))]));
            yield return ("every date before year 1", Splice(body, [.. dates.Select(v => (v, "0000-12-31T23:59:59+14:00", false))]));
            yield return ("every date a 40,000-digit year", Splice(body, [.. dates.Select(v => (v, new string('9', 40_000) + "-01-01T00:00:00Z", false))]));
        }
        if (numbers.Count > 0)
        {
            yield return ("every number 1e400", Splice(body, [.. numbers.Select(v => (v, "1e400", false))]));
            yield return ("every number past 64 bits", Splice(body, [.. numbers.Select(v => (v, "-9223372036854775809", false))]));
            yield return ("every number an epoch past year 9999", Splice(body, [.. numbers.Select(v => (v, "253402300800000", false))]));
            if (!xml)
            {
                yield return ("every number a string", Splice(body, [.. numbers.Select(v => (v, "\"1\"", true))]));
            }
        }
        if (xml)
        {
            yield return ("a DOCTYPE with an external entity and nested entities", XmlWithDoctype(body));
        }
    }

    /// <summary>The ids a recording names (distinct, in order), to link records to so its changes reach the applier.</summary>
    public static IEnumerable<string> Ids(string fixture, byte[] body) =>
        FormatOf(fixture) is { } format ? ValuesOf(format, body).Where(v => v.IsIdLike).Select(v => v.Text).Distinct(StringComparer.Ordinal) : [];

    private static Format? FormatOf(string fixture) => Path.GetExtension(fixture) switch
    {
        ".json" => Format.Json,
        ".xml" => Format.Xml,
        _ => null,
    };

    private static List<Value> ValuesOf(Format format, byte[] body) => format == Format.Json ? JsonValues(body) : XmlValues(body);

    /// <summary>Whole bodies that are hostile in themselves, once per sender, in its format.</summary>
    public static IEnumerable<(string What, byte[] Body)> Whole(byte[] sample, bool xml)
    {
        yield return ("an empty body", []);
        yield return ("a body of 4 MiB of spaces", Encoding.ASCII.GetBytes(new string(' ', FourMiB)));
        yield return ("the recording behind another UTF-8 byte order mark", [.. Utf8Bom, .. sample]);
        yield return ("the recording in UTF-16", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(sample).TrimStart('\uFEFF'))]);
        if (xml)
        {
            yield return ("100,000 nested elements", Encoding.ASCII.GetBytes(Repeat("<a>", 100_000) + Repeat("</a>", 100_000)));
            yield return ("1,000,000 sibling elements", Encoding.ASCII.GetBytes("<a>" + Repeat("<b/>", 1_000_000) + "</a>"));
            yield return ("the billion laughs", Encoding.ASCII.GetBytes(BillionLaughs + "<lolz>&lol9;</lolz>"));
            yield return ("JSON", "{\"events\":[]}"u8.ToArray());
        }
        else
        {
            yield return ("JSON null", "null"u8.ToArray());
            yield return ("a JSON string", "\"hello\""u8.ToArray());
            yield return ("an empty JSON array", "[]"u8.ToArray());
            yield return ("an empty JSON object", "{}"u8.ToArray());
            yield return ("a 100,000-deep array", Encoding.ASCII.GetBytes(Repeat("[", 100_000) + Repeat("]", 100_000)));
            yield return ("a 100,000-deep object", Encoding.ASCII.GetBytes(Repeat("{\"a\":", 100_000) + "1" + Repeat("}", 100_000)));
            yield return ("an array of 1,000,000 numbers", Encoding.ASCII.GetBytes("[" + Repeat("0,", 999_999) + "0]"));
            yield return ("XML", Encoding.ASCII.GetBytes(BillionLaughs + "<lolz>&lol9;</lolz>"));
        }
    }

    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
        <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
        <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
        <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
        """;

    private enum Format { Json, Xml }

    private enum ValueKind { String, Number, Literal, Text }

    /// <summary>A value at its byte offsets: a JSON string (quotes included) or number, or an XML element's text.</summary>
    /// <param name="Text">The value as a reader gets it (a JSON string unescaped).</param>
    /// <param name="Raw">The value's content as written in the body: a JSON string's without its quotes, escapes kept.</param>
    private sealed record Value(int Start, int Length, ValueKind Kind, string Name, string Text, string Raw, int NameStart)
    {
        /// <summary>An id, gid, key or anything named …Id / …_id: what links, ledgers and fetch URLs are made of.</summary>
        public bool IsIdLike =>
            Kind is ValueKind.String or ValueKind.Number or ValueKind.Text
            && (Name.EndsWith("id", StringComparison.OrdinalIgnoreCase) || Name.Equals("key", StringComparison.OrdinalIgnoreCase))
            && Text.Length is > 0 and <= 200;

        public bool IsDate =>
            Text.Length is >= 10 and <= 40 && Text[4] == '-' && Text.Contains(':', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
    }

    private static List<Value> JsonValues(byte[] body)
    {
        var offset = StartsWithBom(body) ? Utf8Bom.Length : 0;
        var values = new List<Value>();
        var reader = new Utf8JsonReader(body.AsSpan(offset), new JsonReaderOptions { MaxDepth = 256 });
        var containers = new Stack<(bool IsArray, string Name)>();
        var pending = (Name: "", Start: -1);
        try
        {
            while (reader.Read())
            {
                var start = offset + (int)reader.TokenStartIndex;
                var inArray = containers.Count > 0 && containers.Peek().IsArray;
                var name = inArray ? containers.Peek().Name : pending.Name;
                var nameStart = inArray ? -1 : pending.Start;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pending = (reader.GetString()!, start);
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        containers.Push((reader.TokenType == JsonTokenType.StartArray, name));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    case JsonTokenType.String:
                        values.Add(new Value(start, reader.ValueSpan.Length + 2, ValueKind.String, name, reader.GetString()!, Encoding.UTF8.GetString(reader.ValueSpan), nameStart));
                        break;
                    case JsonTokenType.Number:
                        values.Add(new Value(start, reader.ValueSpan.Length, ValueKind.Number, name, Encoding.UTF8.GetString(reader.ValueSpan), Encoding.UTF8.GetString(reader.ValueSpan), nameStart));
                        break;
                    default:
                        values.Add(new Value(start, reader.ValueSpan.Length, ValueKind.Literal, name, Encoding.UTF8.GetString(reader.ValueSpan), Encoding.UTF8.GetString(reader.ValueSpan), nameStart));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON after all (a recording may be anything): no values to place attacks at.
            return [];
        }
        return values;
    }

    /// <summary>Leaf elements' text; Latin-1 maps each byte to one char, so a match's index is its byte offset.</summary>
    private static List<Value> XmlValues(byte[] body) =>
        [.. LeafElement().Matches(Encoding.Latin1.GetString(body))
            .Where(m => !string.IsNullOrWhiteSpace(m.Groups["text"].Value))
            .Select(m =>
            {
                var text = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(m.Groups["text"].Value));
                return new Value(m.Groups["text"].Index, m.Groups["text"].Length, ValueKind.Text, m.Groups["name"].Value.Split(':')[^1], text, text, -1);
            })];

    [GeneratedRegex(@"<(?<name>[A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>(?<text>[^<]+)</\k<name>>")]
    private static partial Regex LeafElement();

    /// <summary>
    /// Replaces each value: with <c>whole</c> the replacement is the whole token (a JSON string's quotes included);
    /// otherwise it is the value's content (inside the quotes of a JSON string, or a number's or text's digits).
    /// </summary>
    private static byte[] Splice(byte[] body, IReadOnlyList<(Value Value, string Replacement, bool Whole)> edits)
    {
        var output = new List<byte>(body.Length + edits.Sum(e => e.Replacement.Length));
        var at = 0;
        foreach (var (value, replacement, whole) in edits.OrderBy(e => e.Value.Start))
        {
            var quoted = value.Kind == ValueKind.String && !whole;
            output.AddRange(body.AsSpan(at, value.Start - at));
            output.AddRange(Encoding.UTF8.GetBytes(quoted ? $"\"{replacement}\"" : replacement));
            at = value.Start + value.Length;
        }
        output.AddRange(body.AsSpan(at));
        return [.. output];
    }

    /// <summary>Raw bytes inserted in the middle of each value (of a JSON string, inside its quotes).</summary>
    private static byte[] SpliceBytes(byte[] body, IReadOnlyList<Value> values, byte[] inserted)
    {
        var output = new List<byte>(body.Length + (values.Count * inserted.Length));
        var at = 0;
        foreach (var value in values.OrderBy(v => v.Start))
        {
            var middle = value.Start + Math.Max(1, value.Length / 2);
            output.AddRange(body.AsSpan(at, middle - at));
            output.AddRange(inserted);
            at = middle;
        }
        output.AddRange(body.AsSpan(at));
        return [.. output];
    }

    /// <summary>The value's content as written in the body (escapes kept) with <paramref name="inserted"/> in its middle.</summary>
    private static string Insert(Value value, string inserted)
    {
        var middle = value.Raw.Length / 2;
        return value.Raw[..middle] + inserted + value.Raw[middle..];
    }

    /// <summary>A text replacement as a whole token: quoted for a JSON value, as it is for XML text.</summary>
    private static string Quoted(Value value, string text) =>
        value.Kind == ValueKind.Text ? text : JsonSerializer.Serialize(text);

    /// <summary>Each id property written twice, another value first: which one a reader keeps is its own choice.</summary>
    private static byte[] DuplicateProperties(byte[] body, IReadOnlyList<Value> ids)
    {
        var output = new List<byte>(body.Length * 2);
        var at = 0;
        foreach (var id in ids.Where(v => v.NameStart >= 0).OrderBy(v => v.NameStart))
        {
            output.AddRange(body.AsSpan(at, id.NameStart - at));
            output.AddRange(Encoding.UTF8.GetBytes($"{JsonSerializer.Serialize(id.Name)}:\"duplicate-{id.Name}\","));
            at = id.NameStart;
        }
        output.AddRange(body.AsSpan(at));
        return [.. output];
    }

    private static byte[] XmlWithDoctype(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body).TrimStart('\uFEFF');
        var declarationEnd = text.StartsWith("<?xml", StringComparison.Ordinal) ? text.IndexOf("?>", StringComparison.Ordinal) + 2 : 0;
        var doctype = BillionLaughs[(BillionLaughs.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        var root = text.IndexOf('<', declarationEnd);
        var rootName = Regex.Match(text[root..], @"^<([\w.:-]+)").Groups[1].Value;
        doctype = doctype.Replace("DOCTYPE lolz", $"DOCTYPE {rootName}", StringComparison.Ordinal);
        // The entities are used inside the first text of the document, where a reader that expands them would.
        var first = LeafElement().Match(text, root);
        var withEntities = first.Success
            ? text[..first.Groups["text"].Index] + "&xxe;&lol9;" + text[first.Groups["text"].Index..]
            : text;
        return Encoding.UTF8.GetBytes(withEntities[..declarationEnd] + doctype + withEntities[declarationEnd..]);
    }

    private static bool StartsWithBom(byte[] body) => body.AsSpan().StartsWith(Utf8Bom);

    private static string Repeat(string text, int count) => new StringBuilder(text.Length * count).Insert(0, text, count).ToString();
}
