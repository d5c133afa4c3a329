using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>
/// Broken and hostile bodies: the ingress judges only the token, the size and the signature, so each gets a clear status
/// (200 stored for the worker to record as failed, or 401/413), and a well-formed delivery right after is still served.
/// </summary>
public sealed class HostileBodyTests : IngressFixture
{
    private const string Secret = "hostile-body-secret";

    public static IEnumerable<TestCaseData> Bodies()
    {
        yield return new TestCaseData(Array.Empty<byte>()).SetName("Empty body is stored as it is for the worker to judge");
        yield return new TestCaseData("this is not JSON"u8.ToArray()).SetName("Body that is not JSON is stored for the worker to judge");
        yield return new TestCaseData("""{"webhookEvent":"comment_created","comment":{"body":"cut"""u8.ToArray()).SetName("Truncated JSON is stored for the worker to judge");
        yield return new TestCaseData(Encoding.ASCII.GetBytes(new string('[', 100_000) + new string(']', 100_000))).SetName("Depth bomb of 100000 nested arrays is stored without being parsed");
        yield return new TestCaseData(Encoding.ASCII.GetBytes("{\"comment\":{\"body\":\"" + new string('x', 4 * 1024 * 1024) + "\"}}")).SetName("Four MiB string under the limit is stored");
        yield return new TestCaseData(new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}' }).SetName("Invalid UTF-8 is stored byte for byte");
        yield return new TestCaseData(PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml")).SetName("XML to a JSON sender is stored for the worker to judge");
    }

    [TestCaseSource(nameof(Bodies))]
    public async Task Hostile_body_gets_a_clear_answer_and_the_next_delivery_is_served(byte[] body)
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);

        using var response = await PostSignedAsync(integration, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());

        using var next = await PostSignedAsync(integration, PayloadFixtures.Read(Provider.GitHub, "issues.opened.json"));
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var stored = await App.DeliveriesOfAsync(integration.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored, Has.Count.EqualTo(2));
            Assert.That(stored[0].Body, Is.EqualTo(body), "the hostile body is kept byte for byte");
            Assert.That(stored.Select(d => d.Status), Is.All.EqualTo(DeliveryStatus.Accepted).Or.EqualTo(DeliveryStatus.Queued));
        });
    }

    [Test]
    public async Task Hostile_body_with_a_wrong_signature_is_401_and_never_queued()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);
        using var response = await PostWronglySignedAsync(integration, Encoding.ASCII.GetBytes(new string('[', 50_000)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var stored = await App.DeliveriesOfAsync(integration.Id);
        Assert.That(stored.Select(d => d.Status), Is.EqualTo(new[] { DeliveryStatus.Rejected }));
        await using var db = App.CreateDbContext();
        var rejectedId = stored.Single().Id;
        Assert.That(await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => id == rejectedId), Is.Zero, "never queued");
    }

    [Test]
    public async Task Refused_body_is_kept_up_to_16_KiB_cut_between_characters_and_the_log_says_how_much()
    {
        // Whoever knows the URL but not the secret must not be able to store 5 MiB per request.
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: Secret);
        var text = "\"" + string.Concat(Enumerable.Repeat("é", 2_000_000)) + "\"";
        var body = Encoding.UTF8.GetBytes(text);
        var small = "{\"zen\":\"short and refused\"}"u8.ToArray();

        using var refused = await PostWronglySignedAsync(integration, body);
        using var refusedSmall = await PostWronglySignedAsync(integration, small);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(refusedSmall.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var stored = await App.DeliveriesOfAsync(integration.Id);
        var details = new List<System.Text.Json.JsonElement>();
        foreach (var delivery in stored)
        {
            details.Add(await Admin.ExpectAsync(HttpMethod.Get, $"/deliveries/{delivery.Id}", null, HttpStatusCode.OK));
        }
        var large = details.Single(d => d.GetProperty("bodySize").GetInt32() != small.Length);
        var whole = details.Single(d => d.GetProperty("bodySize").GetInt32() == small.Length);
        Assert.Multiple(() =>
        {
            // The 16,384th byte is the first half of an "é": the cut falls before it.
            Assert.That(large.GetProperty("bodySize").GetInt32(), Is.EqualTo(16_383));
            Assert.That(large.GetProperty("bodyIsBase64").GetBoolean(), Is.False, "still text");
            Assert.That(large.GetProperty("body").GetString(), Is.EqualTo(text[..8192]));
            Assert.That(large.GetProperty("error").GetString(), Does.Contain($"Only the first 16383 of the body's {body.Length} bytes are kept"));
            Assert.That(whole.GetProperty("body").GetString(), Is.EqualTo(Encoding.UTF8.GetString(small)), "a small refused body is kept whole");
            Assert.That(whole.GetProperty("error").GetString(), Does.Not.Contain("are kept"));
            Assert.That(details.Select(d => d.GetProperty("status").GetString()), Is.All.EqualTo("rejected"));
        });
    }

    private async Task<HttpResponseMessage> PostWronglySignedAsync(SeededIntegration integration, byte[] body)
    {
        using var request = GitHubSender.WithSignature(integration.Path, "sha256=" + new string('0', 64), body);
        return await Client.SendAsync(request);
    }

    [Test]
    public async Task JSON_to_Salesforce_is_refused_with_a_SOAP_fault_when_the_organization_is_checked()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce, settings: new IntegrationSettings { OrganizationId = "00D000000000062" });
        using var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Client.PostAsync(integration.Path, content);
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("soapenv:Fault"));
        });
    }

    [Test]
    public async Task JSON_to_Salesforce_without_an_organization_check_is_stored_and_acknowledged_in_SOAP()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce);
        using var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Client.PostAsync(integration.Path, content);
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("<Ack>true</Ack>"));
        });
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task XML_with_an_external_entity_is_not_expanded_and_gets_a_clear_answer()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce, settings: new IntegrationSettings { OrganizationId = "00D000000000062" });
        var xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE lol [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&xxe;&b;</soapenv:Body></soapenv:Envelope>
            """;
        using var content = new StringContent(xxe, Encoding.UTF8, "text/xml");
        using var response = await Client.PostAsync(integration.Path, content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "no organization can be read from it, so it is refused");
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("root:"));
    }

    /// <summary>
    /// The ingress reads a sender's own delivery id (or Rally's subscription) out of the body. Where that value is valid
    /// JSON but not text (invalid UTF-8, an escaped lone surrogate) it is no id: the body is stored without one for the
    /// worker to judge (it used to be an unhandled exception, a 500, found by the hostile-input suite).
    /// </summary>
    [TestCase(Provider.Smartsheet, """{"nonce":"{0}","events":[]}""")]
    [TestCase(Provider.Trello, """{"action":{"id":"{0}","type":"commentCard"}}""")]
    [TestCase(Provider.Rally, """{"message":{"message_id":"{0}","object_id":"a75e6aba"}}""")]
    public async Task Delivery_id_that_is_not_text_is_stored_without_one(Provider provider, string template)
    {
        var integration = await App.CreateIntegrationAsync(provider);
        foreach (var id in NotText)
        {
            using var content = new ByteArrayContent(Fill(template, id));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await Client.PostAsync(integration.Path, content);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }
        var stored = await App.DeliveriesOfAsync(integration.Id);
        Assert.That(stored, Has.Count.EqualTo(NotText.Length));
        Assert.That(stored.Select(d => d.SourceDeliveryId), Is.All.Null);
        Assert.That(stored.Select(d => d.Status), Is.All.EqualTo(DeliveryStatus.Accepted).Or.EqualTo(DeliveryStatus.Queued));
    }

    /// <summary>
    /// Asana's heartbeat is told apart by its body (<c>{"events":[]}</c>) before the signature is checked: a member name
    /// that is an escaped lone surrogate, which the reader only finds when it decodes the name, is no heartbeat, and the
    /// body is judged as any other (it used to be an unhandled exception, a 500 with nothing stored).
    /// </summary>
    [Test]
    public async Task Asana_body_whose_member_name_is_not_text_is_judged_as_any_other()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Asana);
        using (var handshake = await AsanaSender.HandshakeAsync(Client, integration.Path, Secret))
        {
            Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        foreach (var body in new[] { "{\"e\\ud800\":[]}"u8.ToArray(), "{\"events\":[],\"\\udc00x\":1}"u8.ToArray() })
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
            request.Headers.TryAddWithoutValidation("X-Hook-Signature", SenderSignatures.HexHmacSha256(Secret, body));
            using var response = await Client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }
        var stored = (await App.DeliveriesOfAsync(integration.Id)).Where(d => d.Status != DeliveryStatus.Handshake).ToList();
        Assert.That(stored, Has.Count.EqualTo(2));
        Assert.That(stored.Select(d => d.Status), Is.All.EqualTo(DeliveryStatus.Accepted).Or.EqualTo(DeliveryStatus.Queued));
    }

    [Test]
    public async Task Rally_subscription_that_is_not_text_is_refused_as_another_subscription()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Rally, settings: new IntegrationSettings { SubscriptionId = "59351" });
        foreach (var id in NotText)
        {
            using var content = new ByteArrayContent(Fill("""{"message":{"subscription_id":"{0}"}}""", id));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await Client.PostAsync(integration.Path, content);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
    }

    /// <summary>Raw bytes that are not UTF-8, and an escaped high surrogate with no low one.</summary>
    private static readonly byte[][] NotText = [[0xC3, 0x28, 0xFF], "\\ud800x"u8.ToArray()];

    private static byte[] Fill(string template, byte[] value)
    {
        var at = template.IndexOf("{0}", StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(template[..at]), .. value, .. Encoding.UTF8.GetBytes(template[(at + 3)..])];
    }

    private async Task<HttpResponseMessage> PostSignedAsync(SeededIntegration integration, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-GitHub-Event", "issues");
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", GitHubSender.Signature(body, Secret));
        return await Client.SendAsync(request);
    }
}
