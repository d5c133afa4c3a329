using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>
/// Salesforce outbound messages through the whole stack, built from the recorded Lead message (three notifications,
/// organization 0123456789ABCDE): the ingress answers each with the SOAP acknowledgement, the worker judges it.
/// </summary>
public sealed partial class SalesforceMessageTests
{
    private const string FirstLead = "0123456789ABCDEEAE";
    private const string SecondLead = "1123456789ABCDEEAE";
    private static readonly object Settings = new
    {
        organizationId = "0123456789ABCDE",
        statusMappings = new Dictionary<string, string> { ["Open - Not Contacted"] = "triage" },
    };

    [Test]
    public async Task A_message_nested_300_000_deep_is_acknowledged_then_fails_at_once_with_the_reason()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("salesforce", FirstLead, Settings);
        // The first notification, with a 2 MB sf:Name of 300,000 nested elements: it used to pin a worker core for minutes.
        var nested = "<sf:Name>" + string.Concat(Enumerable.Repeat("<a>", 300_000)) + "deep" + string.Concat(Enumerable.Repeat("</a>", 300_000)) + "</sf:Name>";
        var body = Message(0).Replace("</sObject>", nested + "</sObject>", StringComparison.Ordinal);
        Assert.That(Encoding.UTF8.GetByteCount(body), Is.GreaterThan(2_000_000));

        var ack = await PostAsync(stack, seeded, body);
        var acknowledged = Stopwatch.StartNew();
        var outcome = await stack.WaitForOutcomeAsync(await stack.Admin.NewestDeliveryAsync(seeded.IntegrationId), TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("failed"), outcome.ToString());
            Assert.That(outcome.GetProperty("error").GetString(), Does.Contain("nested more than 64 levels"));
            Assert.That(outcome.GetProperty("attempts").GetInt32(), Is.EqualTo(1), "refused, never retried");
            // From the acknowledgement, through the outbox, the broker and the worker; the parser itself takes milliseconds.
            Assert.That(acknowledged.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        });
        Assert.That(ack, Does.Contain("<Ack>true</Ack>"));
    }

    [Test]
    public async Task A_message_repeating_an_acknowledged_notification_beside_a_new_one_applies_the_new_one()
    {
        // Salesforce batches notifications and re-sends those it holds no ack for beside new ones (providers.md §5.4).
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("salesforce", FirstLead, Settings);
        var second = await stack.Admin.CreateLinkedRecordAsync(seeded.ProductId, seeded.IntegrationId, SecondLead);

        await PostAsync(stack, seeded, Message(0));
        var first = await stack.WaitForOutcomeAsync(await stack.Admin.NewestDeliveryAsync(seeded.IntegrationId));
        await PostAsync(stack, seeded, Message(0, 1));
        var both = await stack.WaitForOutcomeAsync(await stack.Admin.NewestDeliveryAsync(seeded.IntegrationId));

        var secondRecord = await stack.Admin.GetRecordAsync(second);
        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("status").GetString(), Is.EqualTo("processed"), first.ToString());
            Assert.That(both.GetProperty("status").GetString(), Is.EqualTo("processed"), both.ToString());
            // Notification 1 (status and description of the first lead) is a duplicate; notification 2 is applied.
            Assert.That((both.GetProperty("outcome").GetProperty("applied").GetInt32(), both.GetProperty("outcome").GetProperty("duplicates").GetInt32()),
                Is.EqualTo((2, 2)), both.ToString());
            Assert.That((secondRecord.GetProperty("status").GetString(), secondRecord.GetProperty("description").GetString()),
                Is.EqualTo(("triage", "Some notes...")));
        });
    }

    /// <summary>
    /// XML refuses a character reference to half a surrogate pair, and its reader's error quotes that half. PostgreSQL's
    /// text (UTF-8) cannot hold it: the reason used to fail every attempt to record the outcome, and the delivery was
    /// retried and dead-lettered as if the database were down (found by the hostile-input suite).
    /// </summary>
    [Test]
    public async Task A_message_holding_half_a_surrogate_pair_fails_with_the_reason_after_one_attempt()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("salesforce", FirstLead, Settings);
        var body = Message(0).Replace("<sf:Description>Some notes...", "<sf:Description>Some &#xD800;notes...", StringComparison.Ordinal);
        Assert.That(body, Does.Contain("&#xD800;"));

        await PostAsync(stack, seeded, body);
        var outcome = await stack.WaitForOutcomeAsync(await stack.Admin.NewestDeliveryAsync(seeded.IntegrationId), TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("failed"), outcome.ToString());
            Assert.That(outcome.GetProperty("error").GetString(), Does.Contain("the body is not XML").And.Contain("\uFFFD"));
            Assert.That(outcome.GetProperty("attempts").GetInt32(), Is.EqualTo(1), "a permanent failure, never retried");
        });
    }

    private static async Task<string> PostAsync(StackFixture stack, LinkedRecord seeded, string message)
    {
        var (status, contentType, text) = await Sender.PostAsync(stack.Webhooks, seeded.WebhookPath, Encoding.UTF8.GetBytes(message), "text/xml; charset=utf-8");
        Assert.That((status, contentType), Is.EqualTo((HttpStatusCode.OK, "text/xml; charset=utf-8")), text);
        return text;
    }

    /// <summary>The recorded message with only the notifications at these positions (0: the first lead, 1: the second).</summary>
    private static string Message(params int[] keep)
    {
        var recorded = PayloadFixtures.ReadText(Provider.Salesforce, "outbound_message.lead.xml");
        var notifications = NotificationElement().Matches(recorded);
        var kept = new StringBuilder(recorded[..notifications[0].Index]);
        foreach (var index in keep)
        {
            kept.Append(notifications[index].Value);
        }
        return kept.Append(recorded[(notifications[^1].Index + notifications[^1].Length)..]).ToString();
    }

    [GeneratedRegex(@"\s*<Notification>.*?</Notification>", RegexOptions.Singleline)]
    private static partial Regex NotificationElement();
}
