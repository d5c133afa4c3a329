using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using Webhooks.Workers.Deliveries;
using Webhooks.Workers.Providers;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>
/// Many deliveries in one transaction: each still gets the outcome it would get alone, and one delivery that keeps
/// failing does not take the rest of its batch down with it.
/// </summary>
public sealed class DeliveryBatchTests
{
    private ServiceProvider _services = null!;

    [OneTimeSetUp]
    public void Build_the_pipeline()
    {
        var builder = Host.CreateApplicationBuilder([$"--ConnectionStrings:Webhooks={WorkerApplication.WorkerConnectionString}",
            $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}"]);
        builder.AddWebhooksDatabase(KeyRingAccess.ReadOnly);
        builder.AddPayloadParsers();
        builder.AddDeliveryProcessing();
        // One batch at a time, so deliveries queued behind a slow batch are taken together.
        builder.Services.Configure<WorkerOptions>(o => o.BatchConcurrency = 1);
        _services = builder.Services.BuildServiceProvider(validateScopes: true);
    }

    [OneTimeTearDown]
    public async Task Dispose_the_pipeline() => await _services.DisposeAsync();

    private async Task<IReadOnlyDictionary<Guid, DeliveryOutcome>> ProcessTogetherAsync(params Delivery[] deliveries)
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>()
            .ProcessManyAsync([.. deliveries.Select(d => d.Id)], CancellationToken.None);
    }

    private static byte[] CommentCreated(string commentId, string body) => JiraPayloads.Edit("comment_created.json", json =>
    {
        json["comment"]!["id"] = commentId;
        json["comment"]!["body"] = body;
    });

    [Test]
    public async Task Each_delivery_of_a_batch_gets_its_own_outcome()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runner = await scenario.CreateWriterAsync("Runner", product);
        var integration = await scenario.CreateIntegrationAsync(product, runner);
        var disabled = await scenario.CreateIntegrationAsync(product, runner);
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var first = await StoreDeliveryAsync(integration, CommentCreated("900001", "First"));
        var second = await StoreDeliveryAsync(integration, CommentCreated("900002", "Second"));
        var unlinked = await StoreDeliveryAsync(integration, JiraPayloads.Edit("comment_created.json", json => json["issue"]!["id"] = "99999"));
        var ignored = await StoreDeliveryAsync(disabled, CommentCreated("900003", "Third"));
        await PatchIntegrationAsync(disabled.Id, new { enabled = false }); // after the ingress took the webhook
        var malformed = await StoreDeliveryAsync(integration, "{ not json"u8.ToArray());
        var missing = Guid.CreateVersion7();

        var outcomes = await ProcessTogetherAsync(first, second, unlinked, ignored, malformed, new Delivery { Id = missing, Headers = "", Body = [] });

        Assert.That(outcomes[first.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 1)));
        Assert.That(outcomes[second.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 1)));
        Assert.That(outcomes[unlinked.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, NoTarget: 1)));
        Assert.That(outcomes[ignored.Id].Status, Is.EqualTo(DeliveryStatus.Ignored));
        Assert.That(outcomes[malformed.Id].Status, Is.EqualTo(DeliveryStatus.Failed));
        Assert.That(outcomes.ContainsKey(missing), Is.False, "an id with no delivery has no outcome");
        Assert.That((await CommentsOnAsync(record)).Select(c => c.Body), Is.EquivalentTo(new[] { "First", "Second" }));
        await using var db = NewContext();
        var rows = db.Deliveries.Where(d => outcomes.Keys.Contains(d.Id)).ToList();
        Assert.That(rows.Select(r => (r.Status, r.Attempts)), Is.EquivalentTo(outcomes.Values.Select(o => (o.Status, 1))), "stored as returned, one attempt each");
    }

    [Test]
    public async Task Copies_of_one_event_in_the_same_batch_apply_it_once()
    {
        // Two webhooks of the account deliver the same comment; the sender also retries one of them.
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runner = await scenario.CreateWriterAsync("Runner", product);
        var webhook = await scenario.CreateIntegrationAsync(product, runner);
        var other = await scenario.CreateIntegrationAsync(product, runner);
        var record = await scenario.CreateLinkedRecordAsync(product, webhook);
        var body = JiraPayloads.Fixture("comment_created.json");
        var original = await StoreDeliveryAsync(webhook, body, sourceDeliveryId: "jira-1");
        var retry = await StoreDeliveryAsync(webhook, body, sourceDeliveryId: "jira-1");
        var copy = await StoreDeliveryAsync(other, body, sourceDeliveryId: "jira-2");

        var outcomes = await ProcessTogetherAsync(copy, retry, original);

        Assert.That(outcomes[original.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 1)));
        Assert.That(outcomes[retry.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Duplicate, $"The sender's retry of delivery {original.Id}; not applied again.")));
        Assert.That(outcomes[copy.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Duplicate, null, Duplicates: 1)));
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
        Assert.That((await AuditOfAsync(record)).Select(a => (a.Action, a.DeliveryId)), Is.EqualTo(new[] { ("comment_added", (Guid?)original.Id) }));
    }

    [Test]
    public async Task A_sender_id_another_integration_already_received_is_not_a_retry()
    {
        // Sender-assigned ids are unique per sender, not across integrations: the second is looked at, not dismissed.
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runner = await scenario.CreateWriterAsync("Runner", product);
        var webhook = await scenario.CreateIntegrationAsync(product, runner);
        var other = await scenario.CreateIntegrationAsync(product, runner);
        var record = await scenario.CreateLinkedRecordAsync(product, webhook);
        var first = await StoreDeliveryAsync(webhook, CommentCreated("900001", "First"), sourceDeliveryId: "jira-1");
        var second = await StoreDeliveryAsync(other, CommentCreated("900002", "Second"), sourceDeliveryId: "jira-1");

        var outcomes = await ProcessTogetherAsync(first, second);

        Assert.That(outcomes[first.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 1)));
        Assert.That(outcomes[second.Id], Is.EqualTo(new DeliveryOutcome(DeliveryStatus.Processed, null, Applied: 1)));
        Assert.That((await CommentsOnAsync(record)).Select(c => c.Body), Is.EquivalentTo(new[] { "First", "Second" }));
    }

    [Test]
    public async Task Changes_to_one_record_in_the_same_batch_keep_the_newest_value()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var created = await StoreDeliveryAsync(integration, JiraPayloads.Fixture("comment_created.json"));
        var newer = await StoreDeliveryAsync(integration, JiraPayloads.Edit("comment_updated.json", json =>
        {
            json["comment"]!["id"] = "10019";
            json["comment"]!["body"] = "The newest edit";
            json["comment"]!["updated"] = "2030-01-01T00:00:00.000+0000";
        }));
        var older = await StoreDeliveryAsync(integration, JiraPayloads.Edit("comment_updated.json", json =>
        {
            json["comment"]!["id"] = "10019";
            json["comment"]!["body"] = "An older edit";
            json["comment"]!["updated"] = "2029-01-01T00:00:00.000+0000";
        }));
        var renamed = await StoreDeliveryAsync(integration, JiraPayloads.IssueUpdated("5001", "summary", "Old", "Renamed later", 1_900_000_000_000));
        var renamedEarlier = await StoreDeliveryAsync(integration, JiraPayloads.IssueUpdated("5000", "summary", "Older", "Renamed earlier", 1_800_000_000_000));

        var outcomes = await ProcessTogetherAsync(created, newer, older, renamed, renamedEarlier);

        Assert.That(outcomes.Values.Select(o => o.Status), Is.All.EqualTo(DeliveryStatus.Processed));
        var comments = await CommentsOnAsync(record);
        Assert.That(comments.Single(c => c.SourceExternalId == "10019").Body, Is.EqualTo("The newest edit"));
        Assert.That((await ReloadAsync(record)).Name, Is.EqualTo("Renamed later"));
    }

    [Test]
    public async Task A_delivery_that_keeps_failing_fails_alone_and_the_rest_of_its_batch_is_applied()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        // The slow delivery holds the only batch slot while the others queue up behind it and are taken together.
        var slow = await StoreDeliveryAsync(integration, CommentCreated("910000", "Slow"));
        await FailureInjection.SlowDownAsync(slow.Id, TimeSpan.FromSeconds(1));
        var queued = new List<Delivery>();
        for (var i = 1; i <= 6; i++)
        {
            queued.Add(await StoreDeliveryAsync(integration, CommentCreated($"91000{i}", $"Queued {i}")));
        }
        var failing = queued[2];
        await FailureInjection.FailAttemptsAsync(failing.Id, int.MaxValue);
        var batches = _services.GetRequiredService<DeliveryGroupCommit>();

        var slowOutcome = batches.ProcessAsync(slow.Id, slow.Provider, CancellationToken.None);
        await FailureInjection.WaitUntilAttemptingAsync(slow.Id);
        var outcomes = queued.Select(d => batches.ProcessAsync(d.Id, d.Provider, CancellationToken.None)).ToList();

        Assert.That((await slowOutcome).Status, Is.EqualTo(DeliveryStatus.Processed));
        var failure = Assert.CatchAsync(() => outcomes[2]);
        Assert.That(failure!.ToString(), Does.Contain("injected transient failure"));
        foreach (var (delivery, outcome) in queued.Zip(outcomes).Where(p => p.First != failing))
        {
            Assert.That((await outcome).Status, Is.EqualTo(DeliveryStatus.Processed), $"delivery {delivery.Id}");
        }
        Assert.That((await CommentsOnAsync(record)).Select(c => c.Body), Is.EquivalentTo(new[] { "Slow", "Queued 1", "Queued 2", "Queued 4", "Queued 5", "Queued 6" }));
        await using var db = NewContext();
        var attempts = db.Deliveries.Where(d => d.IntegrationId == integration.Id).Select(d => d.Attempts).ToList();
        Assert.That(attempts, Is.All.EqualTo(1), "a batch retried one by one counts its attempt once");
    }

    [Test]
    public async Task A_delivery_records_its_message_send_time_as_its_publish_time()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        await scenario.CreateLinkedRecordAsync(product, integration);
        var sent = await StoreDeliveryAsync(integration, CommentCreated("920001", "Sent a while ago"));
        var unknown = await StoreDeliveryAsync(integration, CommentCreated("920002", "Send time unknown"));
        var batches = _services.GetRequiredService<DeliveryGroupCommit>();
        // The relay sent it ten seconds ago; no worker was running then.
        var sentAt = DateTimeOffset.UtcNow.AddSeconds(-10);
        sentAt = sentAt.AddTicks(-(sentAt.Ticks % TimeSpan.TicksPerMillisecond));

        Assert.That((await batches.ProcessAsync(sent.Id, sent.Provider, sentAt, CancellationToken.None)).Status, Is.EqualTo(DeliveryStatus.Processed));
        Assert.That((await batches.ProcessAsync(unknown.Id, unknown.Provider, CancellationToken.None)).Status, Is.EqualTo(DeliveryStatus.Processed));

        await using var db = NewContext();
        var stored = db.Deliveries.Where(d => d.Id == sent.Id || d.Id == unknown.Id).ToDictionary(d => d.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored[sent.Id].PublishedAt, Is.EqualTo(sentAt), "the message's send time, not the time it was applied");
            Assert.That(stored[sent.Id].ProcessedAt, Is.GreaterThan(sentAt.AddSeconds(9)));
            Assert.That(stored[unknown.Id].PublishedAt, Is.EqualTo(stored[unknown.Id].ProcessedAt), "no send time: on the broker no later than its outcome");
        });
    }
}
