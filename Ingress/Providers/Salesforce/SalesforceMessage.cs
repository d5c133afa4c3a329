using System.Xml;

namespace Webhooks.Ingress.Providers.Salesforce;

/// <summary>The two values the door needs from an outbound message: the organization and the first notification id.</summary>
public sealed record SalesforceMessage(string? OrganizationId, string? FirstNotificationId)
{
    private const string OutboundNamespace = "http://soap.sforce.com/2005/09/outbound";

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
        string? organization = null;
        string? notification = null;
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, Settings);
            while (reader.Read() && (organization is null || notification is null))
            {
                if (reader.NodeType != XmlNodeType.Element || reader.NamespaceURI != OutboundNamespace)
                {
                    continue;
                }
                if (reader.LocalName == "OrganizationId" && organization is null)
                {
                    organization = reader.ReadElementContentAsString().Trim();
                }
                else if (reader.LocalName == "Notification" && notification is null)
                {
                    if (reader.ReadToDescendant("Id", OutboundNamespace))
                    {
                        notification = reader.ReadElementContentAsString().Trim();
                    }
                }
            }
        }
        catch (XmlException)
        {
            // Not XML: judged by the worker, which records the error on the delivery.
        }
        return new SalesforceMessage(organization, notification);
    }

    /// <summary>Salesforce ids come as 15 (case-sensitive) or 18 characters; the first 15 identify the organization.</summary>
    public static bool SameOrganization(string? received, string configured)
    {
        static string Short(string id) => id.Length >= 15 ? id[..15] : id;
        return received is not null && string.Equals(Short(received.Trim()), Short(configured.Trim()), StringComparison.Ordinal);
    }
}
