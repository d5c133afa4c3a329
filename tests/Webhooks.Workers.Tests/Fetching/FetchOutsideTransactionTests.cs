using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers;
using Webhooks.Workers.Tests.Providers;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Fetching;

/// <summary>
/// Calls to a sender's API happen before a delivery's transaction, never while it holds row locks, and never hold up
/// deliveries that need none: a slow Asana API once kept a transaction open for minutes and stalled everything behind it.
/// </summary>
public sealed class FetchOutsideTransactionTests : FetchingFixture
{
    private const string TaskGid = "1199170056173519";
    private const string TaskJson = """{"data":{"gid":"1199170056173519","name":"Ship it","completed":true,"memberships":[]}}""";
    private const string HookSecret = "outside-transaction-hook-secret";

    /// <summary>
    /// An Asana integration, its handshake and a record linked to the task, made through <paramref name="ingress"/>: the
    /// class's, whose relay sends what is posted to it, unless a test processes its deliveries itself and needs the run's
    /// relay-less one.
    /// </summary>
    private async Task<(Tenant Tenant, CreatedIntegration Integration, Guid Record)> AsanaLinkedToTaskAsync(AdminIngress? ingress = null)
    {
        ingress ??= Ingress;
        var tenant = await ingress.Admin.CreateTenantAsync();
        var integration = await ingress.Admin.CreateIntegrationAsync(tenant, "asana", new
        {
            statusMappings = new Dictionary<string, string> { ["Completed"] = "shipped" },
            apiBaseUrl = Api.BaseUrl.ToString(),
            apiToken = "asana-pat-outside-transaction",
        });
        await ingress.AsanaHandshakeAsync(integration, HookSecret);
        return (tenant, integration, await ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid));
    }

    private static Dictionary<string, string> SignedAsAsana(byte[] body) => new() { ["X-Hook-Signature"] = SenderSignatures.HexHmacSha256(HookSecret, body) };

    private Task<Guid> PostAsanaAsync(CreatedIntegration integration, byte[] body) => Ingress.PostWebhookAsync(integration, body, SignedAsAsana(body));

    private static byte[] Completed => PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");

    [Test]
    public async Task Hanging_Asana_API_does_not_hold_up_a_GitHub_delivery_the_same_worker_takes_meanwhile()
    {
        // One batch at a time: were the fetch inside the batch, the GitHub delivery would queue behind it.
        await using var worker = await WorkerApplication.StartAsync("--Workers:Providers=asana,github", "--Workers:BatchConcurrency=1",
            $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}", "--Fetching:RetryCount=0", "--Fetching:AttemptTimeout=00:01:00");
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Api.On($"tasks/{TaskGid}", While(() => hanging.Task, TaskJson));
        var (tenant, asana, _) = await AsanaLinkedToTaskAsync();
        var github = await Ingress.Admin.CreateIntegrationAsync(tenant, "github", new { statusMappings = new Dictionary<string, string> { ["closed"] = "shipped" } });
        var issueRecord = await Ingress.Admin.CreateLinkedRecordAsync(tenant, github, "444500041");

        var slow = await PostAsanaAsync(asana, Completed);
        await Eventually.HoldsAsync("the Asana fetch to start", () => Api.CountOf($"tasks/{TaskGid}") == 1);
        var quick = await Ingress.PostWebhookAsync(github, PayloadFixtures.Read(Provider.GitHub, "issue_comment.created.json"),
            new Dictionary<string, string> { ["X-GitHub-Event"] = "issue_comment", ["X-GitHub-Delivery"] = Guid.NewGuid().ToString() });
        var applied = await WaitForOutcomeAsync(quick);
        var slowMeanwhile = await OutcomeOfAsync(slow);
        hanging.SetResult();

        Assert.That(applied.Status, Is.EqualTo(DeliveryStatus.Processed), applied.LastError);
        // Sent, without an outcome yet: stored `accepted`, shown `queued` (no outbox row names it any more).
        Assert.That(slowMeanwhile, Is.AnyOf(DeliveryStatus.Accepted, DeliveryStatus.Queued), "the GitHub delivery was applied while the Asana fetch still hung");
        Assert.That((await Ingress.Admin.GetRecordAsync(issueRecord)).GetProperty("comments").GetArrayLength(), Is.EqualTo(1));
        Assert.That((await WaitForOutcomeAsync(slow)).Status, Is.EqualTo(DeliveryStatus.Processed));
    }

    [Test]
    public async Task While_the_API_is_being_called_no_row_of_the_delivery_or_its_record_is_locked()
    {
        await using var worker = await WorkerApplication.StartAsync("--Workers:Providers=asana", $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}");
        var (_, integration, record) = await AsanaLinkedToTaskAsync();
        var deliveryId = Guid.Empty;
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Inside the fake's handler, i.e. while the worker waits for the answer: another connection takes the locks the
        // delivery's transaction takes, without waiting. Held by an open transaction, either would fail at once (55P03).
        Api.On($"tasks/{TaskGid}", While(async () => seen.TrySetResult(await TryLockAsync(deliveryId, record)), TaskJson));
        var body = Completed;

        deliveryId = await PostAsanaAsync(integration, body);
        var outcome = await WaitForOutcomeAsync(deliveryId);

        Assert.That(await seen.Task, Is.EqualTo("both free"));
        Assert.That(outcome.Status, Is.EqualTo(DeliveryStatus.Processed), outcome.LastError);
    }

    [Test]
    public async Task Task_named_by_several_deliveries_of_one_batch_is_read_once_for_all_of_them()
    {
        Api.On($"tasks/{TaskGid}", Json(TaskJson));
        var (_, integration, record) = await AsanaLinkedToTaskAsync(WorkersSetUp.AdminApi);
        // Three webhooks of the task's events, posted as Asana posts them and processed as one batch.
        var deliveries = new List<Delivery>();
        foreach (var field in new[] { "completed", "name", "notes" })
        {
            var body = Encoding.UTF8.GetBytes(AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event(TaskGid, "task", "changed", field: field)));
            deliveries.Add(await StoreDeliveryAsync(integration, body, SignedAsAsana(body)));
        }
        await using var services = Pipeline();
        await using var scope = services.CreateAsyncScope();

        var outcomes = await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessManyAsync([.. deliveries.Select(d => d.Id)], CancellationToken.None);

        Assert.That(outcomes.Values.Select(o => (o.Status, o.Applied)), Is.All.EqualTo((DeliveryStatus.Processed, 1)));
        Assert.That(Api.CountOf($"tasks/{TaskGid}"), Is.EqualTo(1));
        Assert.That((await Ingress.Admin.GetRecordAsync(record)).GetProperty("name").GetString(), Is.EqualTo("Ship it"));
    }

    [Test]
    public async Task Delivery_whose_fetch_fails_transiently_fails_alone_and_the_others_of_its_batch_are_applied()
    {
        const string OtherTask = "1199170056173520";
        Api.On($"tasks/{TaskGid}", Json(TaskJson)).On($"tasks/{OtherTask}", Status(503));
        var (tenant, integration, record) = await AsanaLinkedToTaskAsync(WorkersSetUp.AdminApi);
        await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, OtherTask);
        var other = Encoding.UTF8.GetBytes(AsanaPayloadParserTests.Events(AsanaPayloadParserTests.Event(OtherTask, "task", "changed", field: "completed")));
        var good = await StoreDeliveryAsync(integration, Completed, SignedAsAsana(Completed));
        var failing = await StoreDeliveryAsync(integration, other, SignedAsAsana(other));
        await using var services = Pipeline();
        var batches = services.GetRequiredService<DeliveryGroupCommit>();

        var goodOutcome = batches.ProcessAsync(good.Id, Provider.Asana, CancellationToken.None);
        var failingOutcome = batches.ProcessAsync(failing.Id, Provider.Asana, CancellationToken.None);

        Assert.That((await goodOutcome).Status, Is.EqualTo(DeliveryStatus.Processed));
        var failure = Assert.CatchAsync<ItemFetchException>(() => failingOutcome);
        Assert.That(failure!.Message, Does.Contain("answered 503"));
        Assert.That((await Ingress.Admin.GetRecordAsync(record)).GetProperty("status").GetString(), Is.EqualTo("shipped"));
        await using var check = NewContext();
        Assert.That((await check.Deliveries.SingleAsync(d => d.Id == failing.Id)).Attempts, Is.EqualTo(1), "a failed fetch counts its attempt");
    }

    /// <summary>The worker's pipeline without a bus, on the workers' role and key ring access, allowing the loopback fake.</summary>
    private static ServiceProvider Pipeline()
    {
        var builder = Host.CreateApplicationBuilder([
            $"--ConnectionStrings:Webhooks={WorkerApplication.WorkerConnectionString}",
            $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}",
            $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}",
            "--Fetching:RetryCount=0"]);
        builder.AddWebhooksDatabase(KeyRingAccess.ReadOnly);
        builder.AddPayloadParsers();
        builder.AddDeliveryProcessing();
        return builder.Services.BuildServiceProvider(validateScopes: true);
    }

    private static async Task<string> TryLockAsync(Guid deliveryId, Guid recordId)
    {
        await using var connection = new NpgsqlConnection(WorkersSetUp.Database.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        try
        {
            var found = 0;
            foreach (var (table, id) in new[] { ("deliveries", deliveryId), ("records", recordId) })
            {
                await using var command = new NpgsqlCommand($"SELECT id FROM {table} WHERE id = $1 FOR UPDATE NOWAIT", connection, transaction);
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                found += await command.ExecuteScalarAsync() is null ? 0 : 1;
            }
            return found == 2 ? "both free" : "not found";
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return "locked by an open transaction";
        }
        finally
        {
            await transaction.RollbackAsync();
        }
    }

    private static async Task<DeliveryStatus> OutcomeOfAsync(Guid deliveryId)
    {
        await using var db = NewContext();
        return (await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId)).Status;
    }
}
