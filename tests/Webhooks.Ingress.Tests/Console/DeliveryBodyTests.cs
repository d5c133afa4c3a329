using Webhooks.Contracts;
using Webhooks.Ingress.Console;

namespace Webhooks.Ingress.Tests.Console;

/// <summary>
/// The delivery page's body view against what a sender can store: XML past its node and depth limits is shown as stored
/// (redacted by shape), never parsed further; within them it is indented with secret elements redacted.
/// </summary>
public sealed class DeliveryBodyTests
{
    private static string Message(string extra) =>
        PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml")
            .Replace("<soapenv:Body>", "<soapenv:Header>" + extra + "</soapenv:Header><soapenv:Body>", StringComparison.Ordinal);

    [Test]
    public void A_recorded_Salesforce_message_is_indented_with_its_session_id_redacted()
    {
        var shown = DeliveryBody.Format(Message(""), "text/xml; charset=utf-8", isBase64: false);

        Assert.That((shown.Kind, shown.Note), Is.EqualTo(("xml", (string?)null)));
        Assert.That(shown.Text, Does.Contain(DeliveryBody.Redacted).And.Not.Contain("BSGSRAzG9lPxyKRPjJ3"));
        Assert.That(shown.Text.Split('\n').Length, Is.GreaterThan(10), "indented, a line per element");
    }

    [TestCase(19_000, "xml")]
    [TestCase(20_001, "text")]
    public void Xml_past_20_000_nodes_is_shown_as_stored(int siblings, string kind)
    {
        var shown = DeliveryBody.Format(Message(string.Concat(Enumerable.Repeat("<a/>", siblings))), "text/xml", isBase64: false);

        Assert.That(shown.Kind, Is.EqualTo(kind), shown.Note);
    }

    [TestCase(60, "xml")]
    [TestCase(100, "text")]
    public void Xml_nested_past_64_levels_is_shown_as_stored(int depth, string kind)
    {
        var nested = string.Concat(Enumerable.Repeat("<a>", depth)) + "x" + string.Concat(Enumerable.Repeat("</a>", depth));

        var shown = DeliveryBody.Format(Message(nested), "text/xml", isBase64: false);

        Assert.That(shown.Kind, Is.EqualTo(kind), shown.Note);
        if (kind == "text")
        {
            Assert.That(shown.Note, Does.Contain("does not parse (or nests too deeply) as XML"));
        }
    }
}
