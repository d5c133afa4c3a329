using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;

namespace Webhooks.Workers.Providers.Salesforce;

/// <summary>
/// Salesforce Outbound Messaging (providers.md §5): a SOAP <c>notifications</c> call carrying up to 100
/// <c>Notification</c>s, each with one sObject (<c>xsi:type="sf:Opportunity"</c>, Case, Lead, …) and the fields the
/// outbound message definition chose. There is no event kind: the notification holds the record's current values, and
/// the applier writes only what differs. The link's external id is the sObject's <c>sf:Id</c>.
/// <para>
/// Dedup key: <c>salesforce:{sObject Id}:{SystemModstamp or LastModifiedDate}:{field}</c>: the same in every outbound
/// message (and org-wide definition) that carries the same revision, where <c>Notification/Id</c> differs per definition.
/// Ordering: <c>SystemModstamp</c>, else <c>LastModifiedDate</c>; a definition that sends neither cannot be ordered and
/// the delivery fails saying so. A notification whose sObject carries nothing but its id ("contains no data": the record
/// was deleted before delivery, S-CONS) is skipped; a message of only such notifications is ignored with that reason.
/// </para>
/// <para>
/// The body is untrusted: parsed without DTD processing or an XML resolver (no entities), and read once as a stream
/// before it is loaded, so that nesting deeper than <see cref="MaxDepth"/> levels or more than <see cref="MaxElements"/>
/// elements fails the delivery at once. Loading a 300,000-deep message took minutes of a core (and deeper ones risk a
/// stack overflow, which no catch survives); a real one is 6 levels deep.
/// </para>
/// </summary>
public sealed class SalesforcePayloadParser : IPayloadParser
{
    private static readonly XNamespace Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Outbound = "http://soap.sforce.com/2005/09/outbound";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = 64 * 1024 * 1024,
    };

    /// <summary>Levels of nesting, the envelope's included. A real outbound message has 6 down to an sObject's fields.</summary>
    public const int MaxDepth = 64;

    /// <summary>Elements in one message: 100 notifications (Salesforce's most per message) of about 1,000 fields each.</summary>
    public const int MaxElements = 100_000;

    public Provider Provider => Provider.Salesforce;

    public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (body.IsEmpty)
        {
            return ParseResult.Failed("Not a Salesforce outbound message: the body is empty.");
        }

        XDocument document;
        try
        {
            var bytes = body.ToArray();
            if (OverLimits(bytes) is { } overLimits)
            {
                return ParseResult.Failed(overLimits);
            }
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = XmlReader.Create(stream, ReaderSettings);
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            return ParseResult.Failed($"Not a Salesforce outbound message: the body is not XML ({e.Message}).");
        }

        var notifications = document.Root is { } root && root.Name == Soap + "Envelope"
            ? root.Element(Soap + "Body")?.Element(Outbound + "notifications")
            : null;
        if (notifications is null)
        {
            return ParseResult.Failed("Not a Salesforce outbound message: there is no soapenv:Envelope/soapenv:Body/notifications element.");
        }

        var changes = new List<NormalizedChange>();
        var empty = 0;
        var count = 0;
        foreach (var notification in notifications.Elements(Outbound + "Notification"))
        {
            count++;
            var sObject = notification.Element(Outbound + "sObject");
            var fields = sObject?.Elements().Where(e => e.Name.LocalName != "Id").ToList() ?? [];
            var id = sObject?.Elements().FirstOrDefault(e => e.Name.LocalName == "Id")?.Value.Trim();
            if (fields.Count == 0)
            {
                empty++;
                continue;
            }
            if (string.IsNullOrEmpty(id))
            {
                return ParseResult.Failed($"Not a Salesforce outbound message: notification {NotificationId(notification)} has an sObject without sf:Id.");
            }
            var stampText = Field(fields, "SystemModstamp") ?? Field(fields, "LastModifiedDate");
            if (stampText is null)
            {
                return ParseResult.Failed(
                    $"Salesforce notification for {TypeName(sObject!)} {id} has neither SystemModstamp nor LastModifiedDate: add one of them to the outbound message's fields so changes can be ordered and deduplicated.");
            }
            if (!DateTimeOffset.TryParse(stampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var stamp))
            {
                return ParseResult.Failed($"Not a Salesforce outbound message: {id} has an unreadable modification time '{stampText}'.");
            }
            var at = stamp.ToUniversalTime();
            var key = $"salesforce:{id}:{stampText}";

            if ((Field(fields, "StageName") ?? Field(fields, "Status")) is { Length: > 0 } status)
            {
                changes.Add(new StatusChanged(id, $"{key}:status", at, null, status));
            }
            if (fields.Any(f => f.Name.LocalName is "Name" or "Subject"))
            {
                changes.Add(new FieldChanged(id, $"{key}:name", at, RecordFields.Name, null, Field(fields, "Name") ?? Field(fields, "Subject")));
            }
            if (fields.Any(f => f.Name.LocalName == "Description"))
            {
                changes.Add(new FieldChanged(id, $"{key}:description", at, RecordFields.Description, null, Field(fields, "Description")));
            }
        }

        if (count == 0)
        {
            return ParseResult.Failed("Not a Salesforce outbound message: notifications holds no Notification.");
        }
        if (empty == count)
        {
            return ParseResult.Ignored($"Salesforce sent {count} notification(s) with no data: the records were probably deleted before delivery.");
        }
        return changes.Count == 0
            ? ParseResult.Ignored("Salesforce notifications carry none of StageName, Status, Name, Subject or Description.")
            : ParseResult.Parsed(changes);
    }

    /// <summary>Why the message is refused before it is loaded (too deep, too many elements), or null. Streams: no tree is built.</summary>
    private static string? OverLimits(byte[] body)
    {
        using var stream = new MemoryStream(body, writable: false);
        using var reader = XmlReader.Create(stream, ReaderSettings);
        var elements = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            if (reader.Depth >= MaxDepth)
            {
                return $"Salesforce outbound message refused: its elements are nested more than {MaxDepth} levels deep (at <{reader.Name}>); a real one has 6.";
            }
            if (++elements > MaxElements)
            {
                return $"Salesforce outbound message refused: it has more than {MaxElements} elements (100 notifications of about 1,000 fields each).";
            }
        }
        return null;
    }

    /// <summary>A field's text; <c>xsi:nil="true"</c> (and absence) is null.</summary>
    private static string? Field(List<XElement> fields, string name)
    {
        var field = fields.FirstOrDefault(f => f.Name.LocalName == name);
        return field is null || (string?)field.Attribute(Xsi + "nil") == "true" ? null : field.Value;
    }

    private static string NotificationId(XElement notification) => notification.Element(Outbound + "Id")?.Value ?? "(no id)";

    private static string TypeName(XElement sObject) => ((string?)sObject.Attribute(Xsi + "type"))?.Split(':')[^1] ?? "sObject";
}
