using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// JSON may carry <c>\u0000</c>; PostgreSQL text cannot, and would refuse the write with an error the operator never
/// sees. This one check runs before every admin endpoint binds its body: a NUL in any string or property name of the
/// request's JSON (a name, a settings value or key, a record field) is answered 400 with the field's path
/// (<c>settings.statusMappings.Done</c>, <c>settings.extra[1].b</c>), and nothing is written. A body that is not JSON is
/// left to the endpoint's own binding, which answers 400 itself.
/// </summary>
public static class NulCharacterCheck
{
    private const string Reason = "The value contains a NUL character (\\u0000), which cannot be stored.";
    private const string NameReason = "A property name contains a NUL character (\\u0000), which cannot be stored.";
    private const string NotTextReason = "The value is not text (bytes that are not UTF-8, or a lone surrogate escape such as \\ud800) and cannot be stored.";
    private const string NotTextNameReason = "A property name is not text (bytes that are not UTF-8, or a lone surrogate escape such as \\ud800) and cannot be stored.";

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            await next(context);
            return;
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var json = buffer.ToArray();
        if (FindUnstorableText(json) is { } found)
        {
            await TypedResults.ValidationProblem(new Dictionary<string, string[]> { [found.Path] = [found.Reason] }).ExecuteAsync(context);
            return;
        }
        // The endpoint binds from what was read here.
        request.Body = new MemoryStream(json, writable: false);
        await next(context);
    }

    /// <summary>
    /// The path of the first string or property name holding a NUL, or that is not text: bytes that are not UTF-8, or an
    /// escaped lone surrogate (no UTF-8 text, PostgreSQL's included, holds either; a setting, kept as JSON, reached the
    /// database with them and failed there), with the reason; or null (none, or not JSON).
    /// </summary>
    public static (string Path, string Reason)? FindUnstorableText(ReadOnlySpan<byte> json)
    {
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (!IsText(ref reader, out var name))
                        {
                            return (PathOf(frames, includeLast: false), NotTextNameReason);
                        }
                        if (name.Contains('\0', StringComparison.Ordinal))
                        {
                            return (PathOf(frames, includeLast: false), NameReason);
                        }
                        frames[^1].Property = name;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextElement(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.String:
                        NextElement(frames);
                        // Only an escape can put a NUL or a lone surrogate in a JSON string (a raw NUL is not valid JSON):
                        // an unescaped one is only checked for UTF-8, without decoding it.
                        if (!reader.ValueIsEscaped)
                        {
                            if (!Utf8.IsValid(reader.ValueSpan))
                            {
                                return (PathOf(frames, includeLast: true), NotTextReason);
                            }
                        }
                        else if (!IsText(ref reader, out var value))
                        {
                            return (PathOf(frames, includeLast: true), NotTextReason);
                        }
                        else if (value.Contains('\0', StringComparison.Ordinal))
                        {
                            return (PathOf(frames, includeLast: true), Reason);
                        }
                        break;
                    default:
                        NextElement(frames);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the endpoint's binding answers that.
        }
        return null;
    }

    /// <summary>
    /// The token's text; false when it is not text (bytes that are not UTF-8, an escaped lone surrogate), on which
    /// <see cref="Utf8JsonReader.GetString"/> throws.
    /// </summary>
    private static bool IsText(ref Utf8JsonReader reader, out string text)
    {
        try
        {
            text = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static void NextElement(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    private static string PathOf(List<Frame> frames, bool includeLast)
    {
        var path = new StringBuilder();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (i == frames.Count - 1 && !includeLast && !frame.IsArray)
            {
                break;
            }
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is { } property)
            {
                path.Append(path.Length > 0 ? "." : "").Append(property.Replace("\0", "\\u0000", StringComparison.Ordinal));
            }
        }
        return path.Length > 0 ? path.ToString() : "$";
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;
        public int Index { get; set; } = -1;
        public string? Property { get; set; }
    }
}
