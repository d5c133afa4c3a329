using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Console;

/// <summary>
/// A stored body as the delivery page shows it: JSON and XML indented, with every value that looks like a secret
/// replaced by <c>[redacted]</c> (by its property, element or header name, or by its own shape). Anything that does not
/// parse within the limits below is shown as it was stored, redacted by shape only. Never throws on what a sender sent.
/// </summary>
public static partial class DeliveryBody
{
    public const string Redacted = "[redacted]";

    /// <summary>Past this the page shows the start only: the admin API has the whole body.</summary>
    public const int MaxShownChars = 256 * 1024;

    private const int MaxDepth = 64;
    private const int MaxXmlNodes = 20_000;

    /// <summary>Name parts that mark a value as secret, compared on the name lowered and without '-', '_' and ':' prefixes.</summary>
    private static readonly string[] SecretNameParts =
        ["secret", "password", "passwd", "token", "apikey", "authorization", "sessionid", "signature", "privatekey", "credential", "cookie"];

    public sealed record Shown(string Text, string Kind, string? Note);

    public static Shown Format(string body, string? contentType, bool isBase64)
    {
        if (isBase64)
        {
            return new Shown(Cut(body), "base64", "The body is not UTF-8 text; shown as base64.");
        }
        var trimmed = body.AsSpan().TrimStart();
        var looksJson = contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true || trimmed.StartsWith("{") || trimmed.StartsWith("[");
        var looksXml = contentType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true || trimmed.StartsWith("<");
        if (looksJson && TryJson(body) is { } json)
        {
            return new Shown(Cut(json), "json", null);
        }
        if (looksXml && TryXml(body) is { } xml)
        {
            return new Shown(Cut(xml), "xml", null);
        }
        var note = looksJson || looksXml ? "Shown as stored: it does not parse (or nests too deeply) as " + (looksJson ? "JSON." : "XML.") : null;
        return new Shown(Cut(RedactByShape(body)), "text", note);
    }

    /// <summary>A header as a page shows it: a secret by its name or by its shape is redacted.</summary>
    public static string RedactHeader(string name, string value) => IsSecretName(name) ? Redacted : RedactByShape(value);

    public static bool IsSecretName(string name)
    {
        var local = name.Contains(':', StringComparison.Ordinal) ? name[(name.LastIndexOf(':') + 1)..] : name;
        var normalized = local.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        return SecretNameParts.Any(part => normalized.Contains(part, StringComparison.Ordinal));
    }

    /// <summary>
    /// Values that are secrets whatever they are called: bearer and basic credentials, Standard Webhooks secrets, and a
    /// webhook token in a callback URL (<see cref="BodyToken"/>).
    /// </summary>
    public static string RedactByShape(string text)
    {
        try
        {
            return BodyToken.RedactCallbackUrls(SecretShape().Replace(text, match => match.Groups["keep"].Value + Redacted));
        }
        catch (RegexMatchTimeoutException)
        {
            return "[not shown: it could not be checked for secrets in time; the admin API has the whole body]";
        }
    }

    private static string Cut(string text) =>
        text.Length <= MaxShownChars ? text : text[..MaxShownChars] + $"\n… ({text.Length - MaxShownChars:N0} more characters; the admin API has the whole body)";

    private static string? TryJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = MaxDepth + 1 }))
            {
                WriteJson(document.RootElement, writer, redact: false);
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void WriteJson(JsonElement element, Utf8JsonWriter writer, bool redact)
    {
        if (redact && element.ValueKind is not JsonValueKind.Null)
        {
            writer.WriteStringValue(Redacted);
            return;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteJson(property.Value, writer, IsSecretName(property.Name));
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteJson(item, writer, redact: false);
                }
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(RedactByShape(element.GetString()!));
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>Streams the document once (no DOM, no DTD, no entities) into an indented copy; gives up past the limits.</summary>
    private static string? TryXml(string body)
    {
        var readerSettings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreWhitespace = true,
            IgnoreComments = false,
            MaxCharactersInDocument = 16L * 1024 * 1024,
        };
        var output = new StringBuilder();
        var writerSettings = new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = true, ConformanceLevel = ConformanceLevel.Fragment };
        try
        {
            using var reader = XmlReader.Create(new StringReader(body), readerSettings);
            using (var writer = XmlWriter.Create(output, writerSettings))
            {
                var nodes = 0;
                var secretDepth = -1;
                while (reader.Read())
                {
                    if (++nodes > MaxXmlNodes || reader.Depth > MaxDepth)
                    {
                        return null;
                    }
                    switch (reader.NodeType)
                    {
                        case XmlNodeType.Element:
                            writer.WriteStartElement(reader.Prefix, reader.LocalName, reader.NamespaceURI);
                            CopyAttributes(reader, writer);
                            if (reader.IsEmptyElement)
                            {
                                writer.WriteEndElement();
                            }
                            else if (secretDepth < 0 && IsSecretName(reader.LocalName))
                            {
                                secretDepth = reader.Depth;
                            }
                            break;
                        case XmlNodeType.EndElement:
                            writer.WriteFullEndElement();
                            if (reader.Depth == secretDepth)
                            {
                                secretDepth = -1;
                            }
                            break;
                        case XmlNodeType.Text:
                        case XmlNodeType.CDATA:
                            writer.WriteString(secretDepth >= 0 ? Redacted : RedactByShape(reader.Value));
                            break;
                        case XmlNodeType.Comment:
                            writer.WriteComment(reader.Value);
                            break;
                    }
                }
            }
            return output.ToString();
        }
        catch (Exception e) when (e is XmlException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static void CopyAttributes(XmlReader reader, XmlWriter writer)
    {
        if (!reader.MoveToFirstAttribute())
        {
            return;
        }
        do
        {
            var value = IsSecretName(reader.LocalName) ? Redacted : RedactByShape(reader.Value);
            writer.WriteAttributeString(reader.Prefix, reader.LocalName, reader.NamespaceURI, value);
        }
        while (reader.MoveToNextAttribute());
        reader.MoveToElement();
    }

    [GeneratedRegex(@"(?<keep>\b(?:Bearer|Basic)\s+)[A-Za-z0-9\-._~+/=:]{8,}|(?<keep>)\bwhsec_[A-Za-z0-9+/=]{8,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SecretShape();
}
