using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>Every row of the ingress contract (design.md), as a sender sees it: status, headers, body, and the delivery log.</summary>
public sealed class WebhookEndpointTests : IngressFixture
{

    private static ByteArrayContent Body(byte[] bytes, string contentType = "application/json", params (string Name, string Value)[] headers)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers)
        {
            content.Headers.TryAddWithoutValidation(name, value);
        }
        return content;
    }

    private static ByteArrayContent Json(string text, params (string Name, string Value)[] headers) => Body(Encoding.UTF8.GetBytes(text), "application/json", headers);

    private async Task<HttpResponseMessage> PostAsync(SeededIntegration integration, HttpContent content, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await Client.SendAsync(request);
    }

    [Test]
    public async Task Stored_payload_is_answered_200_with_its_delivery_id_and_kept_byte_for_byte()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var payload = PayloadFixtures.Read(Provider.Jira, "comment_created.json");

        using var response = await PostAsync(integration, Body(payload), ("X-Atlassian-Webhook-Identifier", "jira-delivery-1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("application/json; charset=utf-8"));
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(Encoding.UTF8.GetByteCount(text)), "the answer says its length");
        });
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("accepted"));
        var delivery = (await App.DeliveriesOfAsync(integration.Id)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Id, Is.EqualTo(answer.GetProperty("deliveryId").GetGuid()));
            Assert.That(delivery.Body, Is.EqualTo(payload));
            Assert.That(delivery.Provider, Is.EqualTo(Provider.Jira));
            Assert.That(delivery.ContentType, Does.StartWith("application/json"));
            Assert.That(delivery.SourceDeliveryId, Is.EqualTo("jira-delivery-1"));
            Assert.That(delivery.Status, Is.AnyOf(DeliveryStatus.Accepted, DeliveryStatus.Queued));
            Assert.That(delivery.SignatureVerified, Is.False, "no secret configured: recorded as unverified");
            Assert.That(delivery.Headers, Does.Contain("jira-delivery-1"));
        });
    }

    [Test]
    public async Task Unknown_token_answers_410_and_stores_nothing()
    {
        using var response = await Client.PostAsync($"/api/v1/webhooks/{WebhookToken.New()}", Json("{}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Is.EqualTo("gone"));
    }

    [TestCase("not-a-token")]
    [TestCase("0123456789abcdef0123456789abcdeg")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task Malformed_token_answers_410(string token)
    {
        using var response = await Client.PostAsync($"/api/v1/webhooks/{token}", Json("{}"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }

    [Test]
    public async Task Disabled_integration_answers_410_within_two_seconds_and_stores_nothing()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        await ThroughAnotherReplicaAsync(admin => admin.PatchIntegrationAsync(integration.Id, new { enabled = false }));

        var status = await StatusWithinAsync(integration, HttpStatusCode.Gone, TimeSpan.FromSeconds(2));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Where(d => d.Status != DeliveryStatus.Handshake), Is.Empty,
            "only the live HEAD probes before the change are logged");
    }

    [TestCase(AccountStatus.Disabled)]
    [TestCase(AccountStatus.Suspended)]
    public async Task Inactive_account_answers_410_within_two_seconds(AccountStatus accountStatus)
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub);
        await ThroughAnotherReplicaAsync(admin => admin.SetAccountStatusAsync(integration.AccountId, accountStatus));

        Assert.That(await StatusWithinAsync(integration, HttpStatusCode.Gone, TimeSpan.FromSeconds(2)), Is.EqualTo(HttpStatusCode.Gone));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Where(d => d.Status != DeliveryStatus.Handshake), Is.Empty);
    }

    /// <summary>
    /// An operator's PATCH through the admin API of a second ingress replica on the same database: the one under test
    /// learns of it only as any replica does.
    /// </summary>
    private static async Task ThroughAnotherReplicaAsync(Func<AdminClient, Task> change)
    {
        await using var other = await IngressFixture.StartAsync();
        using var http = other.CreateAdminClient();
        await change(new AdminClient(http));
    }

    /// <summary>Probes until the expected status comes (the directory is polled, not pushed), then answers a POST's status.</summary>
    private async Task<HttpStatusCode> StatusWithinAsync(SeededIntegration integration, HttpStatusCode expected, TimeSpan within)
    {
        await Eventually.GetAsync($"HEAD to answer {expected}", async () =>
        {
            using var probe = new HttpRequestMessage(HttpMethod.Head, integration.Path);
            using var response = await Client.SendAsync(probe);
            return response.StatusCode;
        }, status => status == expected, within);
        using var post = await Client.PostAsync(integration.Path, Json("{}"));
        return post.StatusCode;
    }

    [Test]
    public async Task Asana_handshake_echoes_the_secret_which_then_verifies_signed_deliveries()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Asana);
        const string secret = "cfecd97ea57de2b55a0a1a343c16fe3e";

        using var handshake = await PostAsync(integration, Json(""), ("X-Hook-Secret", secret));
        Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(handshake.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo(secret));

        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");
        using var signed = await PostAsync(integration, Body(body), ("X-Hook-Signature", "11c89fb59db2a2cfe5eef26a3d7dc77d3ad0bbdd7f23700d7aff2fe6ff8e2581"));
        using var unsigned = await PostAsync(integration, Body(body));

        Assert.That(signed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the handshake's secret is now required");
        var log = await App.DeliveriesOfAsync(integration.Id);
        Assert.Multiple(() =>
        {
            Assert.That(log.Select(d => d.Status), Is.EqualTo(new[] { DeliveryStatus.Handshake, log[1].Status, DeliveryStatus.Rejected }));
            Assert.That(log[1].SignatureVerified, Is.True);
            Assert.That(log.Select(d => d.Headers), Has.None.Contains(secret), "the secret is never kept in the delivery log");
        });
    }

    [Test]
    public async Task Smartsheet_challenge_is_answered_in_header_and_body_and_not_queued()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Smartsheet);
        var body = PayloadFixtures.Read(Provider.Smartsheet, "verification_challenge.json");

        using var response = await PostAsync(integration, Body(body), ("Smartsheet-Hook-Challenge", "d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Smartsheet-Hook-Response").Single(), Is.EqualTo("d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("smartsheetHookResponse").GetString(), Is.EqualTo("d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().Status, Is.EqualTo(DeliveryStatus.Handshake));
    }

    [Test]
    public async Task Smartsheet_challenge_is_answered_at_any_time_even_with_a_shared_secret_and_unsigned()
    {
        // Smartsheet repeats the challenge every 100 callbacks; it is never signed and carries no secret.
        var integration = await App.CreateIntegrationAsync(Provider.Smartsheet, signingSecret: "smartsheet-shared-secret");
        var body = PayloadFixtures.Read(Provider.Smartsheet, "verification_challenge.json");

        using var first = await PostAsync(integration, Body(body), ("Smartsheet-Hook-Challenge", "challenge-1"));
        using var again = await PostAsync(integration, Body(body), ("Smartsheet-Hook-Challenge", "challenge-2"));

        Assert.That(first.Headers.GetValues("Smartsheet-Hook-Response").Single(), Is.EqualTo("challenge-1"));
        Assert.That(again.Headers.GetValues("Smartsheet-Hook-Response").Single(), Is.EqualTo("challenge-2"));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Select(d => d.Status), Is.EqualTo(new[] { DeliveryStatus.Handshake, DeliveryStatus.Handshake }));
    }

    [TestCase(Provider.Jira, false)]
    [TestCase(Provider.Jira, true)]
    [TestCase(Provider.GitHub, true)]
    [TestCase(Provider.Smartsheet, false)]
    [TestCase(Provider.Asana, false)]
    public async Task A_live_token_answers_both_header_handshakes_in_one_request(Provider provider, bool withSecret)
    {
        // The ingress contract: a request to a live token carrying both X-Hook-Secret and Smartsheet-Hook-Challenge with
        // an empty body gets 200 and both answers, whatever the sender and before any signature check; it is recorded,
        // never queued. Only Asana keeps the secret (its own tests cover how).
        var secret = provider == Provider.GitHub ? "github-webhook-secret" : "jira-webhook-secret";
        var integration = await App.CreateIntegrationAsync(provider, signingSecret: withSecret ? secret : null);

        using var response = await PostAsync(integration, Json(""), ("X-Hook-Secret", "abc123"), ("Smartsheet-Hook-Challenge", "challenge-1"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo("abc123"));
        Assert.That(response.Headers.GetValues("Smartsheet-Hook-Response").Single(), Is.EqualTo("challenge-1"));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("smartsheetHookResponse").GetString(), Is.EqualTo("challenge-1"));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().Status, Is.EqualTo(DeliveryStatus.Handshake));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task An_X_Hook_Secret_sent_to_another_sender_is_echoed_but_never_kept(bool withSecret)
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira, signingSecret: withSecret ? "jira-webhook-secret" : null);

        using var handshake = await PostAsync(integration, Json(""), ("X-Hook-Secret", "abc123"));
        Assert.That(handshake.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo("abc123"));

        var expected = withSecret ? HttpStatusCode.Unauthorized : HttpStatusCode.OK;
        using var signedWithIt = await PostAsync(integration, Json("{}"), ("X-Hub-Signature", GitHubSender.Signature("{}"u8.ToArray(), "abc123")));
        Assert.That(signedWithIt.StatusCode, Is.EqualTo(expected), "abc123 did not become the secret");
        if (!withSecret)
        {
            // Signed with abc123 passes whether or not it became the secret; unsigned and otherwise signed pass only if it did not.
            using var unsigned = await PostAsync(integration, Json("{}"));
            using var signedOtherwise = await PostAsync(integration, Json("{}"), ("X-Hub-Signature", GitHubSender.Signature("{}"u8.ToArray(), "not-abc123")));
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.OK), "abc123 did not become the secret");
            Assert.That(signedOtherwise.StatusCode, Is.EqualTo(HttpStatusCode.OK), "abc123 did not become the secret");
        }
    }

    [Test]
    public async Task Head_answers_200_for_a_live_token_and_410_otherwise()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Trello);

        using var live = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, integration.Path));
        using var unknown = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/webhooks/{WebhookToken.New()}"));

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().Status, Is.EqualTo(DeliveryStatus.Handshake));
    }

    [Test]
    public async Task GitHub_ping_is_answered_200_recorded_and_not_queued()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub);

        using var response = await PostAsync(integration, Body(PayloadFixtures.Read(Provider.GitHub, "ping.json")), ("X-GitHub-Event", "ping"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var delivery = (await App.DeliveriesOfAsync(integration.Id)).Single();
        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Handshake));
        Assert.That(delivery.PublishedAt, Is.Null);
    }

    /// <summary>
    /// GitHub signs its ping and Asana its heartbeat like any event: with a secret set, one without the signature is a
    /// stranger's (it holds the token, not the secret), refused and recorded as rejected, never stored as a handshake.
    /// </summary>
    [Test]
    public async Task Ping_and_heartbeat_with_a_secret_set_are_answered_only_when_signed()
    {
        const string secret = "ping-and-heartbeat-secret-0123456789";
        var github = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: secret);
        var ping = PayloadFixtures.Read(Provider.GitHub, "ping.json");
        var asana = await App.CreateIntegrationAsync(Provider.Asana);
        using (var handshake = await AsanaSender.HandshakeAsync(Client, asana.Path, secret))
        {
            Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var heartbeat = """{"events":[]}"""u8.ToArray();

        using var unsignedPing = await PostAsync(github, Body(ping), ("X-GitHub-Event", "ping"));
        using var signedPing = await PostAsync(github, Body(ping), ("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", GitHubSender.Signature(ping, secret)));
        using var unsignedHeartbeat = await PostAsync(asana, Body(heartbeat));
        using var signedHeartbeat = await PostAsync(asana, Body(heartbeat), ("X-Hook-Signature", SenderSignatures.HexHmacSha256(secret, heartbeat)));

        Assert.That((unsignedPing.StatusCode, signedPing.StatusCode), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.OK)));
        Assert.That((unsignedHeartbeat.StatusCode, signedHeartbeat.StatusCode), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.OK)));
        var pings = await App.DeliveriesOfAsync(github.Id);
        // The Asana handshake that set the secret is a handshake row of its own (no body, nothing to verify).
        var heartbeats = (await App.DeliveriesOfAsync(asana.Id)).Where(d => d.Body.Length > 0).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(pings.Select(d => (d.Status, d.SignatureVerified)), Is.EquivalentTo(new[] { (DeliveryStatus.Rejected, false), (DeliveryStatus.Handshake, true) }));
            Assert.That(heartbeats.Select(d => (d.Status, d.SignatureVerified)), Is.EquivalentTo(new[] { (DeliveryStatus.Rejected, false), (DeliveryStatus.Handshake, true) }));
            Assert.That(pings.Concat(heartbeats).Select(d => d.PublishedAt), Is.All.Null);
        });
    }

    [Test]
    public async Task Signature_that_does_not_verify_is_401_and_recorded_as_rejected()
    {
        var integration = await App.CreateIntegrationAsync(Provider.GitHub, signingSecret: "It's a Secret to Everybody");
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        var good = GitHubSender.Signature(body, "It's a Secret to Everybody");

        using var wrong = await PostAsync(integration, Body(body), ("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", "sha256=" + new string('0', 64)));
        using var missing = await PostAsync(integration, Body(body), ("X-GitHub-Event", "issues"));
        using var right = await PostAsync(integration, Body(body), ("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", good));

        Assert.Multiple(() =>
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
        var log = await App.DeliveriesOfAsync(integration.Id);
        Assert.That(log.Count(d => d.Status == DeliveryStatus.Rejected), Is.EqualTo(2));
        Assert.That(log.Where(d => d.Status == DeliveryStatus.Rejected).Select(d => d.PublishedAt), Is.All.Null, "rejected deliveries are never queued");
        Assert.That(log.Single(d => d.Status != DeliveryStatus.Rejected).SignatureVerified, Is.True);
        Assert.That(log.Select(d => d.Headers), Has.None.Contains(good[7..]), "signatures are never kept");
    }

    [Test]
    public async Task Body_over_the_limit_is_413_from_its_declared_length_and_stores_nothing()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        var tooBig = new byte[5 * 1024 * 1024 + 1];

        using var response = await PostAsync(integration, Body(tooBig));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Is.Empty);
    }

    [Test]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);
        using var content = new StreamContent(new MemoryStream(new byte[6 * 1024 * 1024]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Path) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await App.DeliveriesOfAsync(integration.Id), Is.Empty);
    }

    [TestCase("")]
    [TestCase("not json at all")]
    [TestCase("{\"truncated\": ")]
    public async Task Malformed_payload_is_still_accepted_for_the_worker_to_judge(string body)
    {
        var integration = await App.CreateIntegrationAsync(Provider.Jira);

        using var response = await PostAsync(integration, Json(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().Body, Is.EqualTo(Encoding.UTF8.GetBytes(body)));
    }

    [Test]
    public async Task Salesforce_gets_its_SOAP_acknowledgement_not_JSON()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce);

        using var response = await PostAsync(integration, Body(PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml"), "text/xml; charset=utf-8"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/xml"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("<Ack>true</Ack>"));
    }

    [Test]
    public async Task Salesforce_message_from_another_organization_is_refused_with_a_SOAP_fault()
    {
        var integration = await App.CreateIntegrationAsync(Provider.Salesforce, settings: new IntegrationSettings { OrganizationId = "00D000000000001" });

        using var response = await PostAsync(integration, Body(PayloadFixtures.Read(Provider.Salesforce, "outbound_message.lead.xml"), "text/xml"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("soapenv:Fault"));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().Status, Is.EqualTo(DeliveryStatus.Rejected));
    }

    [Test]
    public async Task Trello_signature_is_checked_against_the_registered_callback_url()
    {
        const string secret = "trello-app-secret";
        var integration = await App.CreateIntegrationAsync(Provider.Trello, signingSecret: secret);
        var body = PayloadFixtures.Read(Provider.Trello, "commentCard.json");
        var signature = SenderSignatures.Trello(secret, body, integration.CallbackUrl);

        using var response = await PostAsync(integration, Body(body), ("X-Trello-Webhook", signature));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await App.DeliveriesOfAsync(integration.Id)).Single().SignatureVerified, Is.True);
    }

    [Test]
    public async Task Trello_signature_covers_a_registered_callback_url_with_a_query_string()
    {
        // Trello signs body + callbackURL exactly as the webhook was registered; someone may register it with a query.
        const string appSecret = "trello-app-secret-with-query";
        var seeded = await Admin.SeedAsync(provider: "trello");
        await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { signingSecret = appSecret });
        var registered = seeded.Created.GetProperty("callbackUrl").GetString() + "?x=1";
        var body = PayloadFixtures.Read(Provider.Trello, "updateCard.moved_to_list.json");

        using var signed = new HttpRequestMessage(HttpMethod.Post, seeded.WebhookPath + "?x=1") { Content = Body(body) };
        signed.Headers.TryAddWithoutValidation("X-Trello-Webhook", SenderSignatures.Trello(appSecret, body, registered));
        using var accepted = await Client.SendAsync(signed);
        using var otherQuery = new HttpRequestMessage(HttpMethod.Post, seeded.WebhookPath + "?x=2") { Content = Body(body) };
        otherQuery.Headers.TryAddWithoutValidation("X-Trello-Webhook", SenderSignatures.Trello(appSecret, body, registered));
        using var refused = await Client.SendAsync(otherQuery);

        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the query is part of what Trello signed");
        Assert.That((await App.DeliveriesOfAsync(seeded.IntegrationId)).Single(d => d.Status != DeliveryStatus.Rejected).SignatureVerified, Is.True);
    }
}
