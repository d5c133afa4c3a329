using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Webhooks.Persistence.Model;

/// <summary>
/// An RFC 6901 JSON Pointer in its JSON-string form: <c>""</c> (the whole document) or <c>/</c>-separated reference
/// tokens, where <c>~1</c> stands for <c>/</c> and <c>~0</c> for <c>~</c>. Object members are matched by exact name;
/// an array element by an index without leading zeros (<c>-</c>, the element after the last, never exists).
/// </summary>
public sealed class JsonPointer
{
    private readonly string[] _tokens;

    private JsonPointer(string text, string[] tokens)
    {
        Text = text;
        _tokens = tokens;
    }

    /// <summary>The pointer as written.</summary>
    public string Text { get; }

    /// <summary>The reference tokens, unescaped.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    public override string ToString() => Text;

    public static JsonPointer Parse(string text) =>
        TryParse(text, out var pointer, out var error) ? pointer : throw new FormatException($"Not a JSON Pointer: {error}.");

    public static bool TryParse(string text, [NotNullWhen(true)] out JsonPointer? pointer, [NotNullWhen(false)] out string? error)
    {
        pointer = null;
        if (text.Length == 0)
        {
            pointer = new JsonPointer(text, []);
            error = null;
            return true;
        }
        if (text[0] != '/')
        {
            error = text[0] == '#'
                ? "it is in the URI-fragment form; write it as a JSON string pointer, without the '#' (e.g. /data/id)"
                : "a JSON Pointer is empty or starts with '/' (e.g. /data/id)";
            return false;
        }
        var tokens = new List<string>();
        var token = new StringBuilder();
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '/')
            {
                tokens.Add(token.ToString());
                token.Clear();
                continue;
            }
            if (text[i] != '~')
            {
                token.Append(text[i]);
                continue;
            }
            // Escapes are read left to right, so "~01" is "~1" (a tilde and a one), never "/".
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (next is not ('0' or '1'))
            {
                error = $"'~' at position {i} must be followed by 0 (for '~') or 1 (for '/')";
                return false;
            }
            token.Append(next == '0' ? '~' : '/');
            i++;
        }
        pointer = new JsonPointer(text, [.. tokens]);
        error = null;
        return true;
    }

    /// <summary>The value the pointer references in <paramref name="document"/>; false when it references nothing.</summary>
    public bool TryResolve(JsonElement document, out JsonElement value)
    {
        value = document;
        foreach (var token in _tokens)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when value.TryGetProperty(token, out var member):
                    value = member;
                    break;
                case JsonValueKind.Array when TryReadIndex(token, out var index) && index < value.GetArrayLength():
                    value = value[index];
                    break;
                default:
                    value = default;
                    return false;
            }
        }
        return true;
    }

    /// <summary>RFC 6901 array indices: "0", or digits that do not start with 0.</summary>
    private static bool TryReadIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || token.Length > 9 || (token.Length > 1 && token[0] == '0'))
        {
            return false;
        }
        foreach (var c in token)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        index = int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }
}
