using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>
/// The admin API's dead letters (<c>/api/v1/admin/dead-letters/{provider}</c>), through HTTP, on dead letters made the
/// way they happen: a sender's webhook that fails past the retry limit. Each call is checked against what
/// <c>Webhooks.Workers dead-letters</c> shows or does on the same queue: one implementation behind both.
/// </summary>
[NonParallelizable]
public sealed class DeadLettersApiTests
{
    private DeadLetterScenario _stack = null!;

    private AdminIngress Api => _stack.Ingress;

    private static string ErrorQueue => DeadLetterScenario.ErrorQueue;

    [SetUp]
    public async Task A_worker_and_an_ingress_of_their_own() => _stack = await DeadLetterScenario.StartAsync();

    [TearDown]
    public async Task Stop_them() => await _stack.DisposeAsync();

    /// <summary>A Jira integration and a record linked to issue 10040, made through the admin API.</summary>
    private async Task<(CreatedIntegration Integration, Guid Record)> JiraIntegrationAsync()
    {
        var tenant = await Api.Admin.CreateTenantAsync();
        var integration = await Api.Admin.CreateIntegrationAsync(tenant, "jira", new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } });
        return (integration, await Api.Admin.CreateLinkedRecordAsync(tenant, integration, JiraIssueId));
    }

    /// <summary>Jira posts a comment while every attempt to apply the integration's deliveries fails: it ends in the error queue.</summary>
    private async Task<Guid> DeadLetterAsync(CreatedIntegration integration, string commentId)
    {
        await FailureInjection.FailIntegrationAsync(integration.Id);
        var before = await _stack.CountAsync(ErrorQueue);
        var deliveryId = await Api.PostWebhookAsync(integration, JiraPayloads.Edit("comment_created.json", json => json["comment"]!["id"] = commentId));
        await WaitForOutcomeAsync(deliveryId, DeliveryStatus.DeadLettered);
        await _stack.WaitForCountAsync(ErrorQueue, before + 1);
        return deliveryId;
    }

    private async Task<JsonElement> GetAsync(string path) => await Api.Admin.ExpectAsync(HttpMethod.Get, path, null, HttpStatusCode.OK);

    private static List<Guid> DeliveryIds(JsonElement page) =>
        page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("deliveryId").GetGuid()).ToList();

    [Test]
    public async Task Dead_letters_are_counted_listed_and_shown_as_the_command_line_shows_them()
    {
        var (integration, _) = await JiraIntegrationAsync();
        var first = await DeadLetterAsync(integration, "dl-1");
        var second = await DeadLetterAsync(integration, "dl-2");

        var counts = await GetAsync("/dead-letters");
        var page = await GetAsync("/dead-letters/jira");
        var detail = await GetAsync($"/dead-letters/jira/{first}");

        var jira = counts.EnumerateArray().Single(q => q.GetProperty("provider").GetString() == "jira");
        Assert.That((jira.GetProperty("queue").GetString(), jira.GetProperty("messageCount").GetInt32()), Is.EqualTo(("webhooks-jira_error", 2)));
        Assert.That(counts.EnumerateArray().Single(q => q.GetProperty("provider").GetString() == "github").GetProperty("messageCount").ValueKind,
            Is.EqualTo(JsonValueKind.Null), "no error queue: nothing ever failed there");
        Assert.That(DeliveryIds(page), Is.EqualTo(new[] { second, first }), "newest failure first");
        var listed = page.GetProperty("messages")[1];
        Assert.Multiple(() =>
        {
            Assert.That((page.GetProperty("messageCount").GetInt32(), page.GetProperty("matching").GetInt32()), Is.EqualTo((2, 2)));
            Assert.That(listed.GetProperty("integrationId").GetGuid(), Is.EqualTo(integration.Id));
            Assert.That(listed.GetProperty("integrationName").GetString(), Is.EqualTo("jira"));
            Assert.That(listed.GetProperty("exceptionType").GetString(), Does.Contain("PostgresException"));
            Assert.That(listed.GetProperty("reason").GetString(), Does.Contain("injected transient failure"));
            Assert.That(listed.GetProperty("attempts").GetInt32(), Is.EqualTo(3), "the first attempt and two retries (Workers:RetryLimit=2)");
            Assert.That(listed.GetProperty("deliveryStatus").GetString(), Is.EqualTo("dead_lettered"));
            Assert.That(listed.GetProperty("failedAt").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(2)));
            Assert.That(detail.GetProperty("message").GetProperty("deliveryId").GetGuid(), Is.EqualTo(first));
            Assert.That(detail.GetProperty("queue").GetString(), Is.EqualTo("webhooks-jira_error"));
            Assert.That(detail.GetProperty("headers").GetProperty("MT-Fault-ExceptionType").GetString(), Does.Contain("PostgresException"));
            Assert.That(detail.GetProperty("delivery").GetProperty("status").GetString(), Is.EqualTo("dead_lettered"));
            Assert.That(detail.GetProperty("delivery").GetProperty("accountStatus").GetString(), Is.EqualTo("active"));
        });

        var (exitCode, json) = await _stack.RunAsync("dead-letters", "list", "--provider", "jira", "--json", "--limit", "50");
        var (_, show) = await _stack.RunAsync("dead-letters", "show", first.ToString());
        Assert.That(exitCode, Is.Zero, json);
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(json)![0], JsonNode.Parse(page.GetRawText())), Is.True,
            $"the command line's page is the API's page:\n{json}\n{page}");
        Assert.That(show, Does.Contain(first.ToString()).And.Contain("dead_lettered").And.Contain("MT-Fault-ExceptionType"));
        await _stack.WaitForCountAsync(ErrorQueue, 2);
    }

    [Test]
    public async Task Dead_letters_are_filtered_and_paged_as_on_the_command_line()
    {
        var (integration, _) = await JiraIntegrationAsync();
        var first = await DeadLetterAsync(integration, "page-1");
        var second = await DeadLetterAsync(integration, "page-2");
        await DeadLetterAsync(integration, "page-3");
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var past = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));

        var middle = await GetAsync("/dead-letters/jira?limit=1&offset=1");
        var byId = await GetAsync($"/dead-letters/jira?id={first}");
        var byException = await GetAsync("/dead-letters/jira?exception=PostgresException");
        var otherException = await GetAsync("/dead-letters/jira?exception=TimeoutException");
        var sinceLater = await GetAsync($"/dead-letters/jira?since={future}");
        var untilEarlier = await GetAsync($"/dead-letters/jira?until={past}");

        Assert.Multiple(() =>
        {
            Assert.That(DeliveryIds(middle), Is.EqualTo(new[] { second }));
            Assert.That((middle.GetProperty("matching").GetInt32(), middle.GetProperty("offset").GetInt32(), middle.GetProperty("limit").GetInt32()), Is.EqualTo((3, 1, 1)));
            Assert.That(DeliveryIds(byId), Is.EqualTo(new[] { first }));
            Assert.That(byException.GetProperty("matching").GetInt32(), Is.EqualTo(3));
            Assert.That(otherException.GetProperty("matching").GetInt32(), Is.Zero);
            Assert.That(sinceLater.GetProperty("matching").GetInt32(), Is.Zero);
            Assert.That(untilEarlier.GetProperty("matching").GetInt32(), Is.Zero);
        });
        var (_, json) = await _stack.RunAsync("dead-letters", "list", "--provider", "jira", "--json", "--limit", "1", "--offset", "1");
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(json)![0], JsonNode.Parse(middle.GetRawText())), Is.True, $"{json}\n{middle}");
    }

    [TestCase("/dead-letters/jira?limit=0", HttpStatusCode.BadRequest)]
    [TestCase("/dead-letters/jira?limit=501", HttpStatusCode.BadRequest)]
    [TestCase("/dead-letters/jira?offset=-1", HttpStatusCode.BadRequest)]
    [TestCase("/dead-letters/jira?since=yesterday-ish", HttpStatusCode.BadRequest)]
    [TestCase("/dead-letters/jora", HttpStatusCode.NotFound)]
    [TestCase("/dead-letters/jira/no-such-message", HttpStatusCode.NotFound)]
    public async Task Malformed_or_unknown_requests_are_problems(string path, HttpStatusCode expected)
    {
        using var http = Api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminIngress.AdminKey);

        using var response = await http.GetAsync(AdminClient.Prefix + path);

        Assert.That(response.StatusCode, Is.EqualTo(expected), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Replaying_one_dead_letter_puts_its_delivery_back_through_the_outbox_and_applies_it_once()
    {
        var (integration, record) = await JiraIntegrationAsync();
        var delivery = await DeadLetterAsync(integration, "replay-one");
        await FailureInjection.HealIntegrationAsync(integration.Id);

        using var http = Api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminIngress.AdminKey);
        using var response = await http.PostAsync($"{AdminClient.Prefix}/dead-letters/jira/{delivery}/replay", null);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body);
        var answer = JsonDocument.Parse(body).RootElement;
        var replayId = answer.GetProperty("replayId").GetGuid();
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo($"{AdminClient.Prefix}/deliveries/replays/{replayId}"));
        Assert.That((answer.GetProperty("replayed").GetInt32(), answer.GetProperty("deliveries").GetInt32()), Is.EqualTo((1, 1)));
        await _stack.WaitForCountAsync(ErrorQueue, 0);
        var progress = await Api.Admin.WaitForReplayAsync(replayId);
        Assert.That(progress.GetProperty("statuses").GetProperty("processed").GetInt32(), Is.EqualTo(1));
        var comments = (await Api.Admin.GetRecordAsync(record)).GetProperty("comments");
        Assert.That(comments.GetArrayLength(), Is.EqualTo(1));
        await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{delivery}/replay", null, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Replaying_filtered_dead_letters_answers_a_dry_run_then_replays_only_those()
    {
        var (integration, _) = await JiraIntegrationAsync();
        var delivery = await DeadLetterAsync(integration, "filtered");
        var orphan = await _stack.SendOrphanAsync(integration.Id);
        await FailureInjection.HealIntegrationAsync(integration.Id);

        var dryRun = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/replay", new { exception = "PostgresException", dryRun = true }, HttpStatusCode.OK);
        var (_, cliDryRun) = await _stack.RunAsync("dead-letters", "replay", "--provider", "jira", "--exception", "PostgresException", "--dry-run");

        Assert.That((dryRun.GetProperty("dryRun").GetBoolean(), dryRun.GetProperty("replayed").GetInt32()), Is.EqualTo((true, 1)));
        Assert.That(DeliveryIds(dryRun), Is.EqualTo(new[] { delivery }));
        Assert.That(cliDryRun, Does.Contain($"Would replay {delivery}").And.Contain("Dry run: 1 message(s)").And.Not.Contain(orphan.ToString()));
        await _stack.WaitForCountAsync(ErrorQueue, 2);

        var replay = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/replay", new { exception = "PostgresException" }, HttpStatusCode.Accepted);

        Assert.That((replay.GetProperty("replayed").GetInt32(), replay.GetProperty("left").GetInt32()), Is.EqualTo((1, 1)));
        Assert.That((await WaitForOutcomeAsync(delivery, DeliveryStatus.Processed)).Applied, Is.EqualTo(1));
        var left = await GetAsync("/dead-letters/jira");
        Assert.That(left.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()), Is.EqualTo(new[] { orphan.ToString() }));
    }

    [Test]
    public async Task Bulk_replay_needs_a_selection_and_a_positive_max()
    {
        var noSelection = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/replay", new { dryRun = true }, HttpStatusCode.BadRequest);
        var noMax = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/replay", new { all = true, max = 0 }, HttpStatusCode.BadRequest);

        Assert.That(noSelection.GetProperty("errors").TryGetProperty("all", out _), Is.True, noSelection.ToString());
        Assert.That(noMax.GetProperty("errors").TryGetProperty("max", out _), Is.True, noMax.ToString());
    }

    [Test]
    public async Task A_dead_letter_whose_delivery_is_not_stored_is_not_replayed_and_stays()
    {
        var (integration, _) = await JiraIntegrationAsync();
        var orphan = await _stack.SendOrphanAsync(integration.Id);

        var one = await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{orphan}/replay", null, HttpStatusCode.Conflict);
        var all = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/replay", new { all = true }, HttpStatusCode.Accepted);

        Assert.That(one.GetProperty("detail").GetString(), Does.Contain("not stored"));
        Assert.That((all.GetProperty("replayed").GetInt32(), all.GetProperty("skipped").GetArrayLength()), Is.EqualTo((0, 1)));
        Assert.That(all.GetProperty("replayId").ValueKind, Is.EqualTo(JsonValueKind.Null));
        await _stack.WaitForCountAsync(ErrorQueue, 1);
    }

    [Test]
    public async Task Purging_needs_an_explicit_confirmation_and_answers_how_many_it_removed()
    {
        var (integration, _) = await JiraIntegrationAsync();
        var first = await DeadLetterAsync(integration, "purge-1");
        await DeadLetterAsync(integration, "purge-2");
        var orphan = await _stack.SendOrphanAsync(integration.Id);

        var unconfirmedOne = await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{first}/purge", null, HttpStatusCode.BadRequest);
        await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{first}/purge", new { confirm = false }, HttpStatusCode.BadRequest);
        var unconfirmed = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/purge", new { exception = "PostgresException" }, HttpStatusCode.BadRequest);
        Assert.That(unconfirmedOne.GetProperty("errors").TryGetProperty("confirm", out _), Is.True, unconfirmedOne.ToString());
        Assert.That(unconfirmed.GetProperty("errors").TryGetProperty("confirm", out _), Is.True, unconfirmed.ToString());
        await _stack.WaitForCountAsync(ErrorQueue, 3);

        var one = await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{orphan}/purge", new { confirm = true }, HttpStatusCode.OK);
        var filtered = await Api.Admin.ExpectAsync(HttpMethod.Post, "/dead-letters/jira/purge", new { exception = "PostgresException", confirm = true }, HttpStatusCode.OK);

        Assert.That(one.GetProperty("purged").GetInt32(), Is.EqualTo(1));
        Assert.That((filtered.GetProperty("purged").GetInt32(), filtered.GetProperty("left").GetInt32()), Is.EqualTo((2, 0)));
        await _stack.WaitForCountAsync(ErrorQueue, 0);
        await Api.Admin.ExpectAsync(HttpMethod.Post, $"/dead-letters/jira/{first}/purge", new { confirm = true }, HttpStatusCode.NotFound);
        var stored = await Api.Admin.ExpectAsync(HttpMethod.Get, $"/deliveries/{first}", null, HttpStatusCode.OK);
        Assert.That(stored.GetProperty("status").GetString(), Is.EqualTo("dead_lettered"), "a purge removes the message, never the stored delivery");
    }

    [Test]
    public async Task The_ingress_own_broker_user_cannot_serve_dead_letters_by_design()
    {
        var (integration, _) = await JiraIntegrationAsync();
        await DeadLetterAsync(integration, "not-for-the-ingress");
        await using var asIngress = await AdminIngress.StartNewAsync(settings: new Dictionary<string, string?>
        {
            ["RabbitMqTransport:VHost"] = _stack.VirtualHost.Name,
            ["DeadLetters:User"] = Testing.TestServices.IngressBrokerUser.Name,
            ["DeadLetters:Pass"] = Testing.TestServices.IngressBrokerUser.Password,
        });

        var (status, problem) = await asIngress.Admin.SendAsync(HttpMethod.Get, "/dead-letters/jira");

        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), problem.ToString());
        await _stack.WaitForCountAsync(ErrorQueue, 1);
        Assert.That((await GetAsync("/dead-letters/jira")).GetProperty("matching").GetInt32(), Is.EqualTo(1), "its own user (DeadLetters) reads it");
    }

    [Test]
    public async Task A_broker_that_refuses_the_dead_letter_user_is_a_503_that_names_no_host_or_user()
    {
        await using var misconfigured = await AdminIngress.StartNewAsync(settings: new Dictionary<string, string?>
        {
            ["RabbitMqTransport:VHost"] = _stack.VirtualHost.Name, ["DeadLetters:User"] = "no-such-operator", ["DeadLetters:Pass"] = "wrong",
        });

        var (status, problem) = await misconfigured.Admin.SendAsync(HttpMethod.Get, "/dead-letters/jira");

        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), problem.ToString());
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Dead letters unavailable"));
        Assert.That(problem.ToString(), Does.Not.Contain("no-such-operator").And.Not.Contain(Testing.TestServices.RabbitHost));
    }
}
