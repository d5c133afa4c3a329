using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Commands;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Replay;

/// <summary>
/// Bulk replay of stored deliveries through the admin API (<c>POST /api/v1/admin/deliveries/replay</c>) and its progress,
/// on deliveries a sender posted and a worker failed, checked against <c>Webhooks.Workers deliveries replay</c> and
/// <c>deliveries progress</c> on the same data.
/// </summary>
public sealed class DeliveryReplaysApiTests
{
    private AdminIngress _api = null!;

    [OneTimeSetUp]
    public async Task Start_the_ingress() => _api = await AdminIngress.StartNewAsync();

    [OneTimeTearDown]
    public async Task Stop_the_ingress() => await _api.DisposeAsync();

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var exitCode = await WorkerCommands.RunAsync([.. args, .. WorkerApplication.Arguments()], output);
        return (exitCode, output.ToString());
    }

    [Test]
    public async Task Failed_deliveries_are_counted_by_a_dry_run_replayed_together_and_followed_to_the_end()
    {
        var tenant = await _api.Admin.CreateTenantAsync();
        var integration = await _api.Admin.CreateIntegrationAsync(tenant, "jira", new { statusMappings = new Dictionary<string, string> { ["To Do"] = "new" } });
        var record = await _api.Admin.CreateLinkedRecordAsync(tenant, integration, JiraIssueId);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var inProgress = await _api.PostWebhookAsync(integration, JiraPayloads.IssueUpdated("90001", "status", "To Do", "In Progress", now));
        var done = await _api.PostWebhookAsync(integration, JiraPayloads.IssueUpdated("90002", "status", "In Progress", "Done", now + 1000));
        foreach (var failed in new[] { inProgress, done })
        {
            Assert.That((await WaitForOutcomeAsync(failed)).Status, Is.EqualTo(DeliveryStatus.Failed), "an unmapped status fails the delivery");
        }
        var filter = new { statuses = new[] { "failed" }, integrationId = integration.Id };

        var dryRun = await _api.Admin.ExpectAsync(HttpMethod.Post, "/deliveries/replay", new { filter.statuses, filter.integrationId, dryRun = true }, HttpStatusCode.OK);
        var (_, cliDryRun) = await RunAsync("deliveries", "replay", "--status", "failed", "--integration", integration.Id.ToString(), "--dry-run");

        Assert.That((dryRun.GetProperty("dryRun").GetBoolean(), dryRun.GetProperty("count").GetInt32()), Is.EqualTo((true, 2)));
        Assert.That(cliDryRun, Does.Contain("Dry run: 2 deliveries").And.Contain(inProgress.ToString()).And.Contain(done.ToString()));
        Assert.That((await WaitForOutcomeAsync(done)).Status, Is.EqualTo(DeliveryStatus.Failed), "a dry run changes nothing");

        // The operator adds the missing mappings, then replays what failed for want of them.
        await _api.Admin.PatchIntegrationAsync(integration.Id,
            new { settings = new { statusMappings = new Dictionary<string, string> { ["To Do"] = "new", ["In Progress"] = "in_progress", ["Done"] = "shipped" } } });
        using var http = _api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminIngress.AdminKey);
        using var response = await http.PostAsJsonAsync($"{AdminClient.Prefix}/deliveries/replay", filter);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body);
        var started = JsonDocument.Parse(body).RootElement;
        var replayId = started.GetProperty("replayId").GetGuid();
        Assert.That((started.GetProperty("selected").GetInt32(), started.GetProperty("replayed").GetInt32()), Is.EqualTo((2, 2)));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo($"{AdminClient.Prefix}/deliveries/replays/{replayId}"));
        var progress = await _api.Admin.WaitForReplayAsync(replayId);
        Assert.Multiple(() =>
        {
            Assert.That((progress.GetProperty("total").GetInt32(), progress.GetProperty("finished").GetInt32()), Is.EqualTo((2, 2)));
            Assert.That((progress.GetProperty("accepted").GetInt32(), progress.GetProperty("queued").GetInt32()), Is.EqualTo((0, 0)));
            Assert.That(progress.GetProperty("statuses").GetProperty("processed").GetInt32(), Is.EqualTo(2));
        });
        var (exitCode, cliProgress) = await RunAsync("deliveries", "progress", replayId.ToString());
        Assert.That(exitCode, Is.Zero, cliProgress);
        Assert.That(cliProgress, Does.Contain("2 deliveries, 0 in the outbox, 0 queued, 2 finished (processed 2); done."));
        Assert.That((await _api.Admin.GetRecordAsync(record)).GetProperty("status").GetString(), Is.EqualTo("shipped"));
    }

    [Test]
    public async Task Replaying_one_delivery_names_a_replay_whose_progress_ends_finished()
    {
        var tenant = await _api.Admin.CreateTenantAsync();
        var integration = await _api.Admin.CreateIntegrationAsync(tenant, "jira", new { statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } });
        await _api.Admin.CreateLinkedRecordAsync(tenant, integration, JiraIssueId);
        var delivery = await _api.PostWebhookAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        await WaitForOutcomeAsync(delivery, DeliveryStatus.Processed);

        var answer = await _api.Admin.ExpectAsync(HttpMethod.Post, $"/deliveries/{delivery}/replay", null, HttpStatusCode.Accepted);

        var progress = await _api.Admin.WaitForReplayAsync(answer.GetProperty("replayId").GetGuid());
        Assert.That(progress.GetProperty("statuses").GetProperty("duplicate").GetInt32(), Is.EqualTo(1), "processed again, applied nothing twice");
    }

    [TestCase("""{}""", "filter")]
    [TestCase("""{"statuses":["lost"]}""", "statuses")]
    [TestCase("""{"statuses":["rejected"]}""", "statuses")]
    [TestCase("""{"statuses":["handshake"]}""", "statuses")]
    [TestCase("""{"provider":"jora"}""", "provider")]
    [TestCase("""{"provider":"jira","max":0}""", "max")]
    [TestCase("""{"provider":"jira","max":100001}""", "max")]
    public async Task Bulk_replay_refuses_what_it_cannot_do_naming_the_field(string body, string field)
    {
        using var http = _api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminIngress.AdminKey);

        using var response = await http.PostAsync($"{AdminClient.Prefix}/deliveries/replay", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), Is.True, text);
    }

    [Test]
    public async Task Progress_of_an_unknown_replay_and_a_body_that_is_not_json_are_problems()
    {
        var (unknown, problem) = await _api.Admin.SendAsync(HttpMethod.Get, $"/deliveries/replays/{Guid.NewGuid()}");
        using var http = _api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminIngress.AdminKey);
        using var notJson = await http.PostAsync($"{AdminClient.Prefix}/deliveries/replay", new StringContent("status=failed", System.Text.Encoding.UTF8, "application/json"));

        Assert.That(unknown, Is.EqualTo(HttpStatusCode.NotFound), problem.ToString());
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("No delivery carries replay"));
        Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notJson.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }
}
