using System.Xml;

namespace Webhooks.Ingress.Providers.Salesforce;

/// <summary>The one value the door needs from an outbound message: the organization it comes from.</summary>
public sealed record SalesforceMessage(string? OrganizationId)
{
    private const string OutboundNamespace = "http://soap.sforce.com/2005/09/outbound";

    // The same limits as the worker's parser (SalesforcePayloadParser): past them the scan stops, and the worker, which
    // judges the stored message, fails it with the reason.
    private const int MaxDepth = 64;
    private const int MaxElements = 100_000;

    private static readonly XmlReaderSettings Settings = new()
    {
        // No DTDs, no external entities: the body comes from the internet.
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 10 * 1024 * 1024,
        IgnoreComments = true,
        IgnoreWhitespace = true,
    };

    public static SalesforceMessage Read(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, Settings);
            var elements = 0;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }
                if (reader.Depth >= MaxDepth || ++elements > MaxElements)
                {
                    break;
                }
                if (reader.LocalName == "OrganizationId" && reader.NamespaceURI == OutboundNamespace)
                {
                    return new SalesforceMessage(reader.ReadElementContentAsString().Trim());
                }
            }
        }
        catch (XmlException)
        {
            // Not XML: judged by the worker, which records the error on the delivery.
        }
        return new SalesforceMessage(OrganizationId: null);
    }

    /// <summary>Salesforce ids come as 15 (case-sensitive) or 18 characters; the first 15 identify the organization.</summary>
    public static bool SameOrganization(string? received, string configured)
    {
        static string Short(string id) => id.Length >= 15 ? id[..15] : id;
        return received is not null && string.Equals(Short(received.Trim()), Short(configured.Trim()), StringComparison.Ordinal);
    }
}
