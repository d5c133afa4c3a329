using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Providers.Salesforce;

/// <summary>
/// Salesforce outbound messages are not signed: when settings name an <c>organizationId</c>, messages from any other
/// organization are refused, and a matching one is still recorded unverified. The message's live session id is
/// redacted before it is stored (<see cref="SalesforceSessionId"/>). Every stored message is answered with the SOAP
/// acknowledgement: anything else (our JSON included) makes Salesforce retry it for 24 hours.
/// </summary>
public sealed class SalesforceReceiver : IProviderReceiver
{
    private const string Ack = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
         <soapenv:Body>
          <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
           <Ack>true</Ack>
          </notificationsResponse>
         </soapenv:Body>
        </soapenv:Envelope>
        """;

    private const string Fault = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
         <soapenv:Body>
          <soapenv:Fault>
           <faultcode>soapenv:Client</faultcode>
           <faultstring>The message's organization is not the one this integration accepts.</faultstring>
          </soapenv:Fault>
         </soapenv:Body>
        </soapenv:Envelope>
        """;

    public Provider Provider => Provider.Salesforce;

    public IReadOnlyList<string> KeptHeaders { get; } = ["SOAPAction"];

    public SignatureCheck CheckSignature(ReceivedWebhook webhook, string? secret, IntegrationSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.OrganizationId))
        {
            return SignatureCheck.NoSecret;
        }
        var message = SalesforceMessage.Read(webhook.Body);
        return SalesforceMessage.SameOrganization(message.OrganizationId, settings.OrganizationId)
            ? SignatureCheck.SenderMatched
            : SignatureCheck.Mismatch;
    }

    /// <summary>
    /// None: a message batches up to 100 notifications, and Salesforce re-sends those it holds no ack for beside new
    /// ones, so a message is never a retry as a whole. The worker deduplicates each notification on its own.
    /// </summary>
    public string? FindSourceDeliveryId(ReceivedWebhook webhook) => null;

    public ReadOnlyMemory<byte> BodyToStore(ReceivedWebhook webhook) => SalesforceSessionId.Redact(webhook.Body);

    public IResult Accepted(Guid deliveryId) => Results.Text(Ack, "text/xml; charset=utf-8", System.Text.Encoding.UTF8, StatusCodes.Status200OK);

    public IResult Rejected(SignatureCheck check) => Results.Text(Fault, "text/xml; charset=utf-8", System.Text.Encoding.UTF8, StatusCodes.Status401Unauthorized);
}
