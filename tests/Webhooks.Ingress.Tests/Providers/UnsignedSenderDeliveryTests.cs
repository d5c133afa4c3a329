using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Providers;

/// <summary>
/// Salesforce and Rally sign nothing; the ingress checks the organization or subscription a message names. Through
/// the sender's own request: such deliveries are recorded unverified, a mismatch is still 401, and the live API
/// session id a Salesforce outbound message carries is neither stored nor shown by the delivery log.
/// </summary>
public sealed class UnsignedSenderDeliveryTests : IngressFixture
{
    private const string LeadMessage = "outbound_message.lead.xml";
    private const string SessionId = "0123456789ABCDE!BSGSRAzG9lPxyKRPjJ3.sUQ7y0lp2hfgwX.7rEL5rIQeoYuMfw5qZNrGlNz68OF9na3K5m2amoscF3pdHU5Zep_FhBcAK1RY";

    [Test]
    public async Task Salesforce_session_id_is_redacted_before_the_delivery_is_stored_and_the_rest_is_kept_byte_for_byte()
    {
        var seeded = await Admin.SeedAsync("salesforce", new { organizationId = "0123456789ABCDE" });
        var sent = PayloadFixtures.Read(Provider.Salesforce, LeadMessage);
        Assert.That(Encoding.UTF8.GetString(sent), Does.Contain(SessionId), "the fixture carries a session id");

        using var response = await PostAsync(seeded, sent, "text/xml; charset=utf-8", ("SOAPAction", "\"\""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("<Ack>true</Ack>"));
        var delivery = await OnlyDeliveryAsync(seeded);
        var body = delivery.GetProperty("body").GetString()!;
        var expected = Encoding.UTF8.GetString(sent).Replace(SessionId, "[redacted]", StringComparison.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(body, Does.Not.Contain(SessionId).And.Not.Contain("BSGSRAzG9lPxyKRPjJ3"));
            Assert.That(body, Is.EqualTo(expected), "only the session id's value changes");
            Assert.That(delivery.GetProperty("signatureVerified").GetBoolean(), Is.False, "nothing was signed");
            Assert.That(delivery.GetProperty("status").GetString(), Is.Not.EqualTo("rejected"));
        });
    }

    [Test]
    public async Task Salesforce_message_from_another_organization_is_401_and_its_session_id_is_not_kept_either()
    {
        var seeded = await Admin.SeedAsync("salesforce", new { organizationId = "00D000000000001AAA" });

        using var response = await PostAsync(seeded, PayloadFixtures.Read(Provider.Salesforce, LeadMessage), "text/xml; charset=utf-8");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var delivery = await OnlyDeliveryAsync(seeded);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.GetProperty("status").GetString(), Is.EqualTo("rejected"));
            Assert.That(delivery.GetProperty("body").GetString(), Does.Not.Contain(SessionId));
        });
    }

    [TestCase("<SessionId>00Dxx!AQ0AQ.secret</SessionId>", "<SessionId>[redacted]</SessionId>")]
    [TestCase("<out:SessionId xmlns:out=\"http://soap.sforce.com/2005/09/outbound\">00Dxx!secret</out:SessionId>",
        "<out:SessionId xmlns:out=\"http://soap.sforce.com/2005/09/outbound\">[redacted]</out:SessionId>")]
    [TestCase("<SessionId xsi:nil=\"true\"/>", "<SessionId xsi:nil=\"true\"/>")]
    [TestCase("<SessionId></SessionId>", "<SessionId></SessionId>")]
    public async Task Salesforce_session_id_is_redacted_however_the_element_is_written(string element, string stored)
    {
        var seeded = await Admin.SeedAsync("salesforce");
        var message = Encoding.UTF8.GetString(PayloadFixtures.Read(Provider.Salesforce, LeadMessage))
            .Replace($"<SessionId>{SessionId}</SessionId>", element, StringComparison.Ordinal);

        using var response = await PostAsync(seeded, Encoding.UTF8.GetBytes(message), "text/xml; charset=utf-8");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = (await OnlyDeliveryAsync(seeded)).GetProperty("body").GetString()!;
        Assert.That(body, Is.EqualTo(message.Replace(element, stored, StringComparison.Ordinal)));
    }

    [TestCase(null)]
    [TestCase("00D000000000001AAA")]
    public async Task Salesforce_body_of_5_MiB_of_unclosed_session_id_tags_is_answered_at_once_and_shown_as_sent(string? organizationId)
    {
        // Accepted unverified without an organization, rejected (and its body cut) with one: both paths redact first.
        var seeded = await Admin.SeedAsync("salesforce", organizationId is null ? null : new { organizationId });
        var hostile = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<SessionId ", ((int)new IngressOptions().MaxBodyBytes - 1024) / 11)));
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var content = new ByteArrayContent(hostile);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=utf-8");
        using var response = await Client.PostAsync(seeded.WebhookPath, content, patience.Token);

        Assert.That(response.StatusCode, Is.EqualTo(organizationId is null ? HttpStatusCode.OK : HttpStatusCode.Unauthorized));
        var body = (await OnlyDeliveryAsync(seeded)).GetProperty("body").GetString()!;
        Assert.That(body, Does.StartWith("<SessionId <SessionId "));
    }

    [Test]
    public async Task Rally_delivery_whose_subscription_matches_is_accepted_unverified()
    {
        var seeded = await Admin.SeedAsync("rally", new { subscriptionId = "59351" });
        var sent = PayloadFixtures.Read(Provider.Rally, "investment.created.json");

        using var response = await PostAsync(seeded, sent, "application/json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var delivery = await OnlyDeliveryAsync(seeded);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.GetProperty("signatureVerified").GetBoolean(), Is.False, "a subscription id is not a signature");
            Assert.That(delivery.GetProperty("status").GetString(), Is.Not.EqualTo("rejected"));
            Assert.That(delivery.GetProperty("body").GetString(), Is.EqualTo(Encoding.UTF8.GetString(sent)));
        });
    }

    [Test]
    public async Task Rally_delivery_from_another_subscription_is_still_401()
    {
        var seeded = await Admin.SeedAsync("rally", new { subscriptionId = "1" });

        using var response = await PostAsync(seeded, PayloadFixtures.Read(Provider.Rally, "investment.created.json"), "application/json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await OnlyDeliveryAsync(seeded)).GetProperty("status").GetString(), Is.EqualTo("rejected"));
    }

    private async Task<HttpResponseMessage> PostAsync(Seeded seeded, byte[] body, string contentType, params (string Name, string Value)[] headers)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, seeded.WebhookPath) { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await Client.SendAsync(request);
    }

    /// <summary>The integration's one delivery, in full, as an operator reads it through the admin API.</summary>
    private async Task<JsonElement> OnlyDeliveryAsync(Seeded seeded)
    {
        var log = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{seeded.IntegrationId}/deliveries"), HttpStatusCode.OK);
        Assert.That(log.GetArrayLength(), Is.EqualTo(1), log.ToString());
        var id = log[0].GetProperty("id").GetGuid();
        return await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{id}"), HttpStatusCode.OK);
    }
}
