using System.Text;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Salesforce;
using Webhooks.Persistence.Model;
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
    public void A_message_is_never_a_retry_as_a_whole_so_it_names_no_source_delivery_id()
    {
        // Salesforce re-sends unacknowledged notifications beside new ones; the worker deduplicates each notification.
        Assert.That(_receiver.FindSourceDeliveryId(Received(LeadMessage)), Is.Null);
    }

    /// <summary>
    /// Bodies near <c>Ingress:MaxBodyBytes</c> (5 MiB) made of session id candidates that never complete: each one once
    /// rescanned the rest of the body, minutes of a core for one request.
    /// </summary>
    [TestCase("<SessionId ", "")]
    [TestCase("<SessionId>", "")]
    [TestCase("<out:SessionId a=\"", "")]
    [TestCase("<SessionId>", "</a>")]
    public void Session_id_candidates_filling_a_whole_body_are_scanned_at_once_and_the_body_is_kept(string candidate, string after)
    {
        var count = ((int)new IngressOptions().MaxBodyBytes - 1024) / (candidate.Length + after.Length);
        var hostile = Utf8(string.Concat(Enumerable.Repeat(candidate, count)) + string.Concat(Enumerable.Repeat(after, count)));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stored = _receiver.BodyToStore(Received(hostile));

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(stored.ToArray(), Is.EqualTo(hostile), "nothing there is a session id's value");
    }

    [TestCase("<SessionId ")]
    [TestCase("<SessionId>")]
    [TestCase("<SessionId>x</a>")]
    public void Session_id_of_a_message_after_a_mass_of_decoys_is_still_redacted(string decoy)
    {
        var message = PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml");
        var hostile = Utf8(string.Concat(Enumerable.Repeat(decoy, 100_000)) + message);

        var stored = Encoding.UTF8.GetString(_receiver.BodyToStore(Received(hostile)).Span);

        Assert.That(stored, Does.Contain("<SessionId>[redacted]</SessionId>").And.Not.Contain("BSGSRAzG9lPxyKRPjJ3"));
    }

    [Test]
    public void The_organization_is_read_at_once_from_a_message_nested_300_000_deep_after_it()
    {
        var text = PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml");
        var nested = "<sf:Name>" + string.Concat(Enumerable.Repeat("<a>", 300_000)) + "x" + string.Concat(Enumerable.Repeat("</a>", 300_000)) + "</sf:Name>";
        var hostile = Utf8(text.Replace("</sObject>", nested + "</sObject>", StringComparison.Ordinal));
        var settings = new IntegrationSettings { OrganizationId = "0123456789ABCDE" };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var check = _receiver.CheckSignature(Received(hostile), null, settings);

        Assert.That(check, Is.EqualTo(SignatureCheck.SenderMatched));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void Nesting_past_64_levels_before_the_organization_stops_the_scan_and_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        var text = PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml")
            .Replace("<soapenv:Body>", "<soapenv:Header>" + deep + "</soapenv:Header><soapenv:Body>", StringComparison.Ordinal);
        var settings = new IntegrationSettings { OrganizationId = "0123456789ABCDE" };

        Assert.That(_receiver.CheckSignature(Received(Utf8(text)), null, settings), Is.EqualTo(SignatureCheck.Mismatch));
    }
    [TestCase(99_000, "SenderMatched")]
    [TestCase(100_001, "Mismatch")]
    public void Elements_past_100_000_before_the_organization_stop_the_scan_and_are_refused(int siblings, string expected)
    {
        // Flat, not deep: the element count bounds a scan the depth limit does not.
        var flat = string.Concat(Enumerable.Repeat("<a/>", siblings));
        var text = PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml")
            .Replace("<soapenv:Body>", "<soapenv:Header>" + flat + "</soapenv:Header><soapenv:Body>", StringComparison.Ordinal);
        var settings = new IntegrationSettings { OrganizationId = "0123456789ABCDE" };

        Assert.That(_receiver.CheckSignature(Received(Utf8(text)), null, settings), Is.EqualTo(Enum.Parse<SignatureCheck>(expected)));
    }
}
