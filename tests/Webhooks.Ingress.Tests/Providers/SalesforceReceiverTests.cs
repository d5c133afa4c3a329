using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Salesforce;
using Webhooks.Persistence.Model;
using Webhooks.Testing;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class SalesforceReceiverTests
{
    private readonly SalesforceReceiver _receiver = new();
    private static byte[] LeadMessage => PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml");

    [Test]
    public void Message_from_the_configured_organization_matches_by_its_first_15_characters_but_is_not_signed()
    {
        var settings = new IntegrationSettings { OrganizationId = "0123456789ABCDE" };
        Assert.That(_receiver.CheckSignature(Received(LeadMessage), null, settings), Is.EqualTo(SignatureCheck.SenderMatched));
    }

    [Test]
    public void Message_from_another_organization_is_a_mismatch()
    {
        var settings = new IntegrationSettings { OrganizationId = "00D000000000001AAA" };
        Assert.That(_receiver.CheckSignature(Received(LeadMessage), null, settings), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void No_organization_configured_is_accepted_unverified()
    {
        Assert.That(_receiver.CheckSignature(Received(LeadMessage), null, new IntegrationSettings()), Is.EqualTo(SignatureCheck.NoSecret));
    }

    [Test]
    public void Xml_with_an_external_entity_is_not_resolved()
    {
        var hostile = Utf8("""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>""");
        var settings = new IntegrationSettings { OrganizationId = "0123456789ABCDE" };
        Assert.That(_receiver.CheckSignature(Received(hostile), null, settings), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void First_notification_id_is_kept_as_the_source_delivery_id()
    {
        Assert.That(_receiver.FindSourceDeliveryId(Received(LeadMessage)), Is.EqualTo("04l37000000L0E5AAK"));
    }
}
