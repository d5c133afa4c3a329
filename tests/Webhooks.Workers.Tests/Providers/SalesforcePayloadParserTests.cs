using System.Globalization;
using System.Text;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Providers.Salesforce;

namespace Webhooks.Workers.Tests.Providers;

public sealed class SalesforcePayloadParserTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];
    private readonly SalesforcePayloadParser _parser = new();

    private ParseResult Parse(byte[] body) => _parser.Parse(body, NoHeaders);

    private ParseResult Parse(string xml) => Parse(Encoding.UTF8.GetBytes(xml));

    private static IEnumerable<string> Fixtures() => PayloadFixtures.All(Provider.Salesforce);

    private static readonly DateTimeOffset LeadStamp = DateTimeOffset.Parse("2015-08-14T18:27:02.000Z", CultureInfo.InvariantCulture).ToUniversalTime();

    [TestCaseSource(nameof(Fixtures))]
    public void Every_recorded_message_parses_and_the_acknowledgement_is_not_a_message(string fixture)
    {
        var result = Parse(PayloadFixtures.Read(Provider.Salesforce, fixture));

        if (fixture == "ack_response.xml")
        {
            // Our own reply to Salesforce, not something it sends: well-formed SOAP without notifications.
            Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
            Assert.That(result.Reason, Does.Contain("notifications"));
            return;
        }
        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Parsed), result.Reason);
        Assert.That(result.Changes, Is.Not.Empty);
        Assert.That(result.Changes.Select(c => c.SourceEventId), Has.All.StartsWith("salesforce:"));
    }

    [Test]
    public void The_lead_message_carries_three_records_each_with_its_status_and_description()
    {
        var changes = Parse(PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml")).Changes;

        Assert.That(changes.Select(c => c.ExternalItemId).Distinct(), Is.EqualTo(new[] { "0123456789ABCDEEAE", "1123456789ABCDEEAE", "2123456789ABCDEEAE" }));
        var first = changes.Where(c => c.ExternalItemId == "0123456789ABCDEEAE").ToList();
        Assert.That(first[0], Is.EqualTo(new StatusChanged("0123456789ABCDEEAE", "salesforce:0123456789ABCDEEAE:2015-08-14T18:27:02.000Z:status", LeadStamp, null, "Open - Not Contacted")));
        var description = (FieldChanged)first[1];
        Assert.That((description.Field, description.NewValue, description.SourceTimestamp), Is.EqualTo((RecordFields.Description, "Some notes...", LeadStamp)));
        Assert.That(first, Has.Count.EqualTo(2), "a Lead has no Name or Subject field in this message");
    }

    [Test]
    public void An_opportunity_stage_and_name_are_read_and_ordered_by_SystemModstamp()
    {
        var change = Parse(SalesforcePayloads.Message(SalesforcePayloads.Opportunity("006000000000001AAA", "Closed Won", "Big deal", "2024-03-01T10:00:00.000Z")));

        var status = change.Changes.OfType<StatusChanged>().Single();
        var name = change.Changes.OfType<FieldChanged>().Single();
        Assert.That((status.ExternalItemId, status.NewStatus), Is.EqualTo(("006000000000001AAA", "Closed Won")));
        Assert.That(status.SourceTimestamp, Is.EqualTo(new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero)));
        Assert.That((name.Field, name.NewValue), Is.EqualTo((RecordFields.Name, "Big deal")));
    }

    [Test]
    public void A_case_subject_is_its_name_and_its_status_a_status()
    {
        var sObject = """
            <sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
              <sf:Id>500000000000001AAA</sf:Id>
              <sf:Description xsi:nil="true"/>
              <sf:LastModifiedDate>2024-03-02T09:00:00.000Z</sf:LastModifiedDate>
              <sf:Status>Escalated</sf:Status>
              <sf:Subject>Printer on fire</sf:Subject>
            </sObject>
            """;

        var changes = Parse(SalesforcePayloads.Message(sObject)).Changes;

        Assert.That(changes.OfType<StatusChanged>().Single().NewStatus, Is.EqualTo("Escalated"));
        Assert.That(changes.OfType<FieldChanged>().Select(c => (c.Field, c.NewValue)),
            Is.EqualTo(new[] { (RecordFields.Name, (string?)"Printer on fire"), (RecordFields.Description, (string?)null) }));
        Assert.That(changes.Select(c => c.SourceEventId), Has.All.StartsWith("salesforce:500000000000001AAA:2024-03-02T09:00:00.000Z:"));
    }

    [Test]
    public void The_same_revision_from_two_outbound_messages_has_the_same_keys()
    {
        var sObject = SalesforcePayloads.Opportunity("006000000000001AAA", "Prospecting", "Deal", "2024-03-01T10:00:00.000Z");

        var one = Parse(SalesforcePayloads.Message(sObject, notificationId: "04l000000000001AAA", organizationId: "00D000000000001AAA"));
        var two = Parse(SalesforcePayloads.Message(sObject, notificationId: "04l000000000999AAA", organizationId: "00D000000000001AAA"));

        Assert.That(one.Changes.Select(c => c.SourceEventId), Is.EqualTo(two.Changes.Select(c => c.SourceEventId)));
    }

    [Test]
    public void Notifications_with_no_data_are_ignored_saying_the_records_were_probably_deleted()
    {
        var result = Parse(SalesforcePayloads.Message("""<sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>006000000000001AAA</sf:Id></sObject>"""));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Ignored));
        Assert.That(result.Reason, Does.Contain("no data").And.Contain("deleted"));
    }

    [Test]
    public void A_definition_that_sends_no_modification_time_fails_saying_which_field_to_add()
    {
        var result = Parse(SalesforcePayloads.Message("""
            <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
              <sf:Id>006000000000001AAA</sf:Id><sf:StageName>Prospecting</sf:StageName>
            </sObject>
            """));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("SystemModstamp").And.Contain("Opportunity"));
    }

    [Test]
    public void A_document_type_declaration_is_refused_and_no_entity_is_expanded()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&lol2;</soapenv:Body></soapenv:Envelope>
            """;

        var result = Parse(xml);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("DTD"));
    }

    [TestCase("", "empty")]
    [TestCase("""{"json":true}""", "not XML")]
    [TestCase("<a><b></a>", "not XML")]
    [TestCase("<notifications xmlns=\"http://soap.sforce.com/2005/09/outbound\"/>", "no soapenv:Envelope")]
    [TestCase("""<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"/></soapenv:Body></soapenv:Envelope>""", "no Notification")]
    public void Body_that_is_not_an_outbound_message_fails_with_a_clear_reason(string body, string reason)
    {
        var result = Parse(body);

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.StartWith("Not a Salesforce outbound message").And.Contain(reason));
    }

    [Test]
    public void An_sObject_without_its_id_fails()
    {
        var result = Parse(SalesforcePayloads.Message("""<sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Status>New</sf:Status></sObject>"""));

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("without sf:Id"));
    }

    [Test]
    public void A_message_nested_300_000_deep_inside_a_name_fails_within_a_second_with_the_reason()
    {
        // 2 MB: loading it took minutes of a core, and deeper still risks a stack overflow no catch survives.
        var body = Encoding.UTF8.GetBytes(SalesforcePayloads.Message(SalesforcePayloads.OpportunityWithNestedName("006000000000001AAA", 300_000)));
        Assert.That(body, Has.Length.GreaterThan(2_000_000));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Parse(body);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain($"nested more than {SalesforcePayloadParser.MaxDepth} levels"));
    }

    [TestCase(58, ParseOutcome.Parsed)]
    [TestCase(59, ParseOutcome.Failed)]
    public void Sixty_four_levels_of_nesting_are_read_and_one_more_is_refused(int levelsInsideName, ParseOutcome outcome)
    {
        // Envelope, Body, notifications, Notification, sObject and sf:Name are six levels: 58 more make 64.
        var result = Parse(SalesforcePayloads.Message(SalesforcePayloads.OpportunityWithNestedName("006000000000001AAA", levelsInsideName)));

        Assert.That(result.Outcome, Is.EqualTo(outcome), result.Reason);
    }

    [Test]
    public void A_message_of_more_elements_than_the_limit_fails_within_a_second_with_the_reason()
    {
        var fields = string.Concat(Enumerable.Repeat("<sf:Extra__c>x</sf:Extra__c>", SalesforcePayloadParser.MaxElements));
        var body = Encoding.UTF8.GetBytes(SalesforcePayloads.Message(
            SalesforcePayloads.Opportunity("006000000000001AAA", "Prospecting", "Deal", "2024-03-01T10:00:00.000Z").Replace("</sObject>", fields + "</sObject>", StringComparison.Ordinal)));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Parse(body);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain($"more than {SalesforcePayloadParser.MaxElements} elements"));
    }
}

/// <summary>
/// Outbound messages no recording covers (Opportunity, Case), in the envelope of the recorded Lead message
/// (providers.md §5.1, S-NOT): same namespaces, one Notification per sObject.
/// </summary>
public static class SalesforcePayloads
{
    public static string Opportunity(string id, string stage, string name, string systemModstamp) => $"""
        <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
          <sf:Id>{id}</sf:Id>
          <sf:LastModifiedDate>{systemModstamp}</sf:LastModifiedDate>
          <sf:Name>{name}</sf:Name>
          <sf:StageName>{stage}</sf:StageName>
          <sf:SystemModstamp>{systemModstamp}</sf:SystemModstamp>
        </sObject>
        """;

    /// <summary>An opportunity whose <c>sf:Name</c> holds <paramref name="levels"/> nested elements: the XML depth attack.</summary>
    public static string OpportunityWithNestedName(string id, int levels) =>
        Opportunity(id, "Prospecting", "<a>".Repeat(levels) + "deep" + "</a>".Repeat(levels), "2024-03-01T10:00:00.000Z");

    private static string Repeat(this string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();

    public static string Message(string sObject, string notificationId = "04l37000000L0E5AAK", string organizationId = "0123456789ABCDENNN") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <soapenv:Body>
            <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
              <OrganizationId>{organizationId}</OrganizationId>
              <ActionId>04k000000000001AAA</ActionId>
              <SessionId xsi:nil="true"/>
              <EnterpriseUrl>https://na31.salesforce.com/services/Soap/c/34.0/0123456789ABCDE</EnterpriseUrl>
              <PartnerUrl>https://na31.salesforce.com/services/Soap/u/34.0/0123456789ABCDE</PartnerUrl>
              <Notification>
                <Id>{notificationId}</Id>
                {sObject}
              </Notification>
            </notifications>
          </soapenv:Body>
        </soapenv:Envelope>
        """;
}
