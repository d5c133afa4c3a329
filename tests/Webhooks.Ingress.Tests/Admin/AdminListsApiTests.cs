using System.Net;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// The list endpoints scripts and the console share: accounts and integrations (page/pageSize, total) and the delivery
/// log across integrations (newest first, keyset cursor). Everything is made through the admin API and deliveries by
/// the sender's own requests; each test narrows the shared database to its own rows by a unique name or id.
/// </summary>
public sealed class AdminListsApiTests : IngressFixture
{
    private const string Secret = "list-tests-github-secret";

    [Test]
    public async Task Accounts_are_listed_by_name_paged_and_found_by_name_and_status()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        foreach (var name in new[] { $"{tag} Charlie", $"{tag} alpha", $"{tag} Bravo" })
        {
            await Admin.CreateAccountAsync(name);
        }
        var bravo = (await List($"/accounts?q={tag}%20bra")).GetProperty("items")[0].GetProperty("id").GetGuid();
        await AdminClient.ExpectAsync(await Admin.PatchAsync($"/accounts/{bravo}", new { status = "suspended" }), HttpStatusCode.OK);

        var first = await List($"/accounts?q={tag.ToUpperInvariant()}&pageSize=2");
        var second = await List($"/accounts?q={tag}&pageSize=2&page=2");
        var suspended = await List($"/accounts?q={tag}&status=suspended");

        Assert.Multiple(() =>
        {
            Assert.That(Names(first), Is.EqualTo(new[] { $"{tag} alpha", $"{tag} Bravo" }), "by name, case-insensitive search");
            Assert.That(first.GetProperty("total").GetInt32(), Is.EqualTo(3));
            Assert.That(first.GetProperty("pageSize").GetInt32(), Is.EqualTo(2));
            Assert.That(Names(second), Is.EqualTo(new[] { $"{tag} Charlie" }));
            Assert.That(second.GetProperty("page").GetInt32(), Is.EqualTo(2));
            Assert.That(Names(suspended), Is.EqualTo(new[] { $"{tag} Bravo" }));
            Assert.That(suspended.GetProperty("items")[0].GetProperty("status").GetString(), Is.EqualTo("suspended"));
        });
    }

    [Test]
    public async Task A_search_text_is_matched_literally_not_as_a_pattern()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        await Admin.CreateAccountAsync($"{tag} 100% done");
        await Admin.CreateAccountAsync($"{tag} 100 done");

        var percent = await List($"/accounts?q={Uri.EscapeDataString($"{tag} 100%")}");
        var underscore = await List($"/accounts?q={Uri.EscapeDataString($"{tag}_100")}");

        Assert.Multiple(() =>
        {
            Assert.That(Names(percent), Is.EqualTo(new[] { $"{tag} 100% done" }));
            Assert.That(Names(underscore), Is.Empty);
        });
    }

    [Test]
    public async Task Integrations_are_filtered_by_account_provider_enabled_and_text_and_show_who_they_run_as()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var account = (await Admin.CreateAccountAsync($"{tag} Acme")).GetProperty("id").GetGuid();
        var user = await AdminClient.ExpectAsync(await Admin.PostAsync($"/accounts/{account}/users", new { name = $"{tag} bot", email = $"{tag}@example.test" }), HttpStatusCode.Created);
        var userId = user.GetProperty("id").GetGuid();
        var product = (await Admin.CreateProductAsync(account, "LST")).GetProperty("id").GetGuid();
        var jira = (await Admin.CreateIntegrationAsync(product, userId, "jira", name: $"{tag} Jira")).GetProperty("id").GetGuid();
        var github = await Admin.CreateIntegrationAsync(product, userId, "github", signingSecret: Secret, name: $"{tag} GitHub");
        var token = github.GetProperty("token").GetString()!;
        await Admin.PatchIntegrationAsync(jira, new { enabled = false });
        var before = DateTimeOffset.UtcNow;
        await SendGitHubAsync(token, Guid.NewGuid().ToString(), sign: true);

        var all = await List($"/integrations?accountId={account}");
        var githubOnly = await List($"/integrations?accountId={account}&provider=github");
        var disabled = await List($"/integrations?accountId={account}&enabled=false");
        var byUser = await List($"/integrations?q={tag}%20BOT");
        var byProductKey = await List($"/integrations?q=lst&accountId={account}&pageSize=1&page=2");

        var githubRow = githubOnly.GetProperty("items")[0];
        Assert.Multiple(() =>
        {
            Assert.That(Names(all), Is.EqualTo(new[] { $"{tag} GitHub", $"{tag} Jira" }));
            Assert.That(Names(githubOnly), Is.EqualTo(new[] { $"{tag} GitHub" }));
            Assert.That(Names(disabled), Is.EqualTo(new[] { $"{tag} Jira" }));
            Assert.That(Names(byUser), Is.EqualTo(new[] { $"{tag} GitHub", $"{tag} Jira" }));
            Assert.That(Names(byProductKey), Is.EqualTo(new[] { $"{tag} Jira" }));
            Assert.That(byProductKey.GetProperty("total").GetInt32(), Is.EqualTo(2));
            Assert.That(githubRow.GetProperty("accountName").GetString(), Is.EqualTo($"{tag} Acme"));
            Assert.That(githubRow.GetProperty("accountStatus").GetString(), Is.EqualTo("active"));
            Assert.That(githubRow.GetProperty("productName").GetString(), Is.EqualTo("App"));
            Assert.That(githubRow.GetProperty("runAsUserName").GetString(), Is.EqualTo($"{tag} bot"));
            Assert.That(githubRow.GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That(githubRow.GetProperty("enabled").GetBoolean(), Is.True);
            Assert.That(githubRow.GetProperty("lastDeliveryAt").GetDateTimeOffset(), Is.GreaterThanOrEqualTo(before.AddSeconds(-1)));
            Assert.That(githubRow.GetProperty("failuresLast24Hours").GetInt32(), Is.Zero);
            Assert.That(all.GetProperty("items")[1].GetProperty("lastDeliveryAt").ValueKind, Is.EqualTo(JsonValueKind.Null), "the Jira one never got one");
            Assert.That(githubRow.ToString(), Does.Not.Contain(token).And.Not.Contain(Secret), "the list shows no token or secret");
        });
    }

    [Test]
    public async Task Delivery_log_is_newest_first_and_a_cursor_page_is_not_shifted_by_deliveries_arriving_meanwhile()
    {
        var (integration, token) = await SeedGitHubAsync();
        var sent = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await SendGitHubAsync(token, $"page-{i}-{Guid.NewGuid()}", sign: true));
        }

        var first = await List($"/deliveries?integrationId={integration}&limit=2");
        var later = await SendGitHubAsync(token, $"later-{Guid.NewGuid()}", sign: true);
        var next = first.GetProperty("next").GetString();
        var second = await List($"/deliveries?integrationId={integration}&limit=2&before={next}");
        var fresh = await List($"/deliveries?integrationId={integration}&limit=2");

        Assert.Multiple(() =>
        {
            Assert.That(Ids(first), Is.EqualTo(new[] { sent[2], sent[1] }));
            Assert.That(next, Is.Not.Null.And.Not.Empty);
            Assert.That(Ids(second), Is.EqualTo(new[] { sent[0] }), "the page after the first, as it was");
            Assert.That(second.GetProperty("next").ValueKind, Is.EqualTo(JsonValueKind.Null), "the last page has no next");
            Assert.That(Ids(fresh), Is.EqualTo(new[] { later, sent[2] }));
        });
    }

    [Test]
    public async Task Delivery_log_is_filtered_by_status_provider_time_and_the_senders_delivery_id()
    {
        var (integration, token) = await SeedGitHubAsync();
        var sourceId = Guid.NewGuid().ToString();
        var accepted = await SendGitHubAsync(token, sourceId, sign: true);
        // since is inclusive and until exclusive: the microsecond after the first was received (the database keeps
        // microseconds) lies after it and, the second being sent after the first's answer, not after the second.
        var between = (await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{accepted}"), HttpStatusCode.OK))
            .GetProperty("receivedAt").GetDateTimeOffset().AddTicks(TimeSpan.TicksPerMicrosecond);
        var rejected = await SendGitHubAsync(token, Guid.NewGuid().ToString(), sign: false, integration);
        var scope = $"integrationId={integration}";

        var rejectedOnly = await List($"/deliveries?{scope}&status=rejected");
        var either = await List($"/deliveries?{scope}&status=rejected,queued&status=accepted");
        var jira = await List($"/deliveries?{scope}&provider=jira");
        var github = await List($"/deliveries?{scope}&provider=GitHub");
        var bySourcePart = await List($"/deliveries?q={sourceId[..13].ToUpperInvariant()}");
        var byDeliveryId = await List($"/deliveries?q={rejected}");
        var sinceBetween = await List($"/deliveries?{scope}&since={Uri.EscapeDataString(between.ToString("O"))}");
        var untilBetween = await List($"/deliveries?{scope}&until={Uri.EscapeDataString(between.ToString("O"))}");

        var row = bySourcePart.GetProperty("items")[0];
        Assert.Multiple(() =>
        {
            Assert.That(Ids(rejectedOnly), Is.EqualTo(new[] { rejected }));
            Assert.That(rejectedOnly.GetProperty("items")[0].GetProperty("error").GetString(), Is.Not.Empty, "a rejection says why");
            Assert.That(Ids(either), Is.EqualTo(new[] { rejected, accepted }));
            Assert.That(Ids(jira), Is.Empty);
            Assert.That(Ids(github), Is.EqualTo(new[] { rejected, accepted }));
            Assert.That(Ids(bySourcePart), Is.EqualTo(new[] { accepted }));
            Assert.That(row.GetProperty("sourceDeliveryId").GetString(), Is.EqualTo(sourceId));
            Assert.That(row.GetProperty("integrationId").GetGuid(), Is.EqualTo(integration));
            Assert.That(row.GetProperty("integrationName").GetString(), Does.StartWith("GitHub "));
            Assert.That(row.GetProperty("provider").GetString(), Is.EqualTo("github"));
            Assert.That(row.TryGetProperty("body", out _), Is.False, "a list never carries bodies");
            Assert.That(Ids(byDeliveryId), Is.EqualTo(new[] { rejected }));
            Assert.That(Ids(sinceBetween), Is.EqualTo(new[] { rejected }));
            Assert.That(Ids(untilBetween), Is.EqualTo(new[] { accepted }));
        });
    }

    [TestCase("/deliveries?status=lost", "status")]
    [TestCase("/deliveries?provider=myspace", "provider")]
    [TestCase("/deliveries?integrationId=42", "integrationId")]
    [TestCase("/deliveries?since=yesterday", "since")]
    [TestCase("/deliveries?until=2026-13-45", "until")]
    [TestCase("/deliveries?before=bm90LWEtY3Vyc29y", "before")]
    [TestCase("/deliveries?before=%27%3B%20DROP%20TABLE%20deliveries", "before")]
    [TestCase("/deliveries?limit=0", "limit")]
    [TestCase("/deliveries?limit=501", "limit")]
    [TestCase("/accounts?page=0", "page")]
    [TestCase("/accounts?pageSize=501", "pageSize")]
    [TestCase("/accounts?status=gone", "status")]
    [TestCase("/integrations?accountId=acme", "accountId")]
    [TestCase("/integrations?provider=myspace", "provider")]
    [TestCase("/integrations?enabled=maybe", "enabled")]
    [TestCase("/integrations?pageSize=-1", "pageSize")]
    public async Task A_parameter_that_does_not_parse_is_400_naming_it(string path, string field)
    {
        var problem = await AdminClient.ExpectAsync(await Admin.GetAsync(path), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").TryGetProperty(field, out _), Is.True, problem.ToString());
    }

    [Test]
    public async Task Search_text_longer_than_any_id_is_400_and_one_of_200_characters_is_searched()
    {
        var tooLong = new string('x', 201);
        var longest = new string('x', 200);

        foreach (var list in new[] { "/deliveries", "/accounts", "/integrations" })
        {
            var problem = await AdminClient.ExpectAsync(await Admin.GetAsync($"{list}?q={tooLong}"), HttpStatusCode.BadRequest);
            Assert.That(problem.GetProperty("errors").TryGetProperty("q", out _), Is.True, list);
            await AdminClient.ExpectAsync(await Admin.GetAsync($"{list}?q={longest}"), HttpStatusCode.OK);
        }
    }

    [TestCase("/api/v1/admin/accounts")]
    [TestCase("/api/v1/admin/integrations")]
    [TestCase("/api/v1/admin/deliveries")]
    public async Task Lists_need_the_admin_key(string path)
    {
        using var response = await Client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task OpenAPI_document_describes_each_list_with_its_parameters()
    {
        var document = await AdminClient.ExpectAsync(await Admin.Http.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        var paths = document.GetProperty("paths");

        string[] Parameters(string path) =>
            paths.GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(Parameters("/api/v1/admin/accounts"), Is.SupersetOf(new[] { "q", "status", "page", "pageSize" }));
            Assert.That(Parameters("/api/v1/admin/integrations"), Is.SupersetOf(new[] { "accountId", "provider", "enabled", "q", "page", "pageSize" }));
            Assert.That(Parameters("/api/v1/admin/deliveries"), Is.SupersetOf(new[] { "status", "provider", "integrationId", "since", "until", "q", "before", "limit" }));
        });
    }

    private async Task<JsonElement> List(string path) => await AdminClient.ExpectAsync(await Admin.GetAsync(path), HttpStatusCode.OK);

    private static string[] Names(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToArray();

    private static Guid[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray();

    private async Task<(Guid Integration, string Token)> SeedGitHubAsync()
    {
        var seeded = await Admin.SeedAsync("jira");
        var created = await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId, "github", signingSecret: Secret, name: $"GitHub {Guid.NewGuid():N}");
        return (created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    /// <summary>What GitHub sends for an opened issue, signed with the webhook's secret (or with another one).</summary>
    private async Task<Guid> SendGitHubAsync(string token, string gitHubDelivery, bool sign, Guid? integrationId = null)
    {
        var body = PayloadFixtures.Read(Provider.GitHub, "issues.opened.json");
        using var request = GitHubSender.Signed($"/api/v1/webhooks/{token}", sign ? Secret : "not-the-secret", body);
        request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", gitHubDelivery);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(sign ? HttpStatusCode.OK : HttpStatusCode.Unauthorized), text);
        if (sign)
        {
            return JsonDocument.Parse(text).RootElement.GetProperty("deliveryId").GetGuid();
        }
        // A refused request names no delivery (nor keeps the sender's id): it is the integration's newest rejected row.
        var newest = await List($"/deliveries?integrationId={integrationId}&status=rejected&limit=1");
        return Ids(newest).Single();
    }
}
