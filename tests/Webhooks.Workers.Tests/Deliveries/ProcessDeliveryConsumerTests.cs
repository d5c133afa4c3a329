using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Deliveries;

/// <summary>
/// The behaviour issue 3 requires, end to end: Jira's request is posted through the ingress, which stores the delivery,
/// ProcessDelivery goes through RabbitMQ to the real worker host, and the test reads what PostgreSQL holds afterwards.
/// </summary>
public sealed class ProcessDeliveryConsumerTests
{
    [Test]
    public async Task Comment_created_adds_one_comment_as_the_run_as_user_keeping_the_Jira_comment_id_and_author()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await scenario.CreateIntegrationAsync(product, runAs);
        var record = await scenario.CreateLinkedRecordAsync(product, integration);

        var delivery = await DeliverFixtureAsync(integration, "comment_created.json");

        Assert.That((delivery.Status, delivery.Applied, delivery.Duplicates, delivery.NoTarget, delivery.Attempts),
            Is.EqualTo((DeliveryStatus.Processed, 1, 0, 0, 1)), delivery.LastError);
        Assert.That(delivery.ProcessedAt, Is.Not.Null);
        var comment = (await CommentsOnAsync(record)).Single();
        Assert.That((comment.Body, comment.AuthorUserId, comment.SourceProvider, comment.SourceExternalId, comment.SourceAuthor),
            Is.EqualTo(("Added a comment", runAs.Id, (Provider?)Provider.Jira, "10019", "Test User")));
        var audit = (await AuditOfAsync(record)).Single();
        Assert.That((audit.Action, audit.UserId, audit.DeliveryId, audit.IntegrationId),
            Is.EqualTo(("comment_added", runAs.Id, (Guid?)delivery.Id, (Guid?)integration.Id)));
        Assert.That((await ReloadAsync(record)).UpdatedByUserId, Is.EqualTo(runAs.Id));
    }

    [Test]
    public async Task Second_webhook_for_same_comment_is_a_duplicate()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("One", product));
        var second = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Two", product));
        var record = await scenario.CreateLinkedRecordAsync(product, first);

        var applied = await DeliverFixtureAsync(first, "comment_created.json");
        var duplicate = await DeliverFixtureAsync(second, "comment_created.json");

        Assert.That((applied.Status, applied.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)));
        Assert.That((duplicate.Status, duplicate.Applied, duplicate.Duplicates), Is.EqualTo((DeliveryStatus.Duplicate, 0, 1)));
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Same_comment_through_two_webhooks_processed_at_once_by_two_replicas_is_one_comment()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var first = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("One", product));
        var second = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Two", product));
        var record = await scenario.CreateLinkedRecordAsync(product, first);
        await using var replica = await WorkerApplication.StartAsync();

        var outcomes = new List<Delivery>();
        for (var round = 0; round < 3; round++)
        {
            // Each round is a new comment, so every round is a fresh race between the two replicas.
            var body = JiraPayloads.Edit("comment_created.json", json => json["comment"]!["id"] = $"race-{round}");
            var a = await StoreDeliveryAsync(first, body);
            var b = await StoreDeliveryAsync(second, body);
            await Task.WhenAll(WorkersSetUp.Worker.SendAsync(a), replica.SendAsync(b), replica.SendAsync(a), WorkersSetUp.Worker.SendAsync(b));
            outcomes.Add(await WaitForOutcomeAsync(a.Id));
            outcomes.Add(await WaitForOutcomeAsync(b.Id));
        }

        var comments = await CommentsOnAsync(record);
        Assert.That(comments.Select(c => c.SourceExternalId), Is.EquivalentTo(new[] { "race-0", "race-1", "race-2" }));
        Assert.That((await AuditOfAsync(record)).Count(a => a.Action == "comment_added"), Is.EqualTo(3));
        Assert.That(outcomes.Select(o => o.Status), Is.All.AnyOf(DeliveryStatus.Processed, DeliveryStatus.Duplicate));
    }

    [Test]
    public async Task Webhook_changes_only_records_in_products_its_run_as_user_can_write()
    {
        var scenario = await CreateAsync();
        var p1 = await scenario.CreateProductAsync("P1");
        var p2 = await scenario.CreateProductAsync("P2");
        var writesP1 = await scenario.CreateWriterAsync("WritesP1", p1);
        await scenario.GrantAsync(p2, writesP1, MembershipRole.Viewer);
        var writesP2 = await scenario.CreateWriterAsync("WritesP2", p2);
        await scenario.GrantAsync(p1, writesP2, MembershipRole.Reviewer);
        var webhook1 = await scenario.CreateIntegrationAsync(p1, writesP1);
        var webhook2 = await scenario.CreateIntegrationAsync(p2, writesP2);
        var inP1 = await scenario.CreateLinkedRecordAsync(p1, webhook1);
        var inP2 = await scenario.CreateLinkedRecordAsync(p2, webhook1);

        var first = await DeliverFixtureAsync(webhook1, "comment_created.json");

        Assert.That(await CommentsOnAsync(inP1), Has.Count.EqualTo(1));
        Assert.That(await CommentsOnAsync(inP2), Is.Empty);
        Assert.That((first.Applied, first.Duplicates), Is.EqualTo((1, 0)));

        var second = await DeliverFixtureAsync(webhook2, "comment_created.json");

        Assert.That((second.Status, second.Applied, second.Duplicates), Is.EqualTo((DeliveryStatus.Processed, 1, 0)));
        Assert.That((await CommentsOnAsync(inP2)).Single().AuthorUserId, Is.EqualTo(writesP2.Id));
        Assert.That(await CommentsOnAsync(inP1), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Version_1_webhook_never_changes_records_linked_through_version_2_and_back()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var v1 = await scenario.CreateIntegrationAsync(product, runAs, version: 1);
        var v2 = await scenario.CreateIntegrationAsync(product, runAs, version: 2);
        var linkedV1 = await scenario.CreateLinkedRecordAsync(product, v1);
        var linkedV2 = await scenario.CreateLinkedRecordAsync(product, v2);

        var throughV1 = await DeliverFixtureAsync(v1, "comment_created.json");

        Assert.That(await CommentsOnAsync(linkedV1), Has.Count.EqualTo(1));
        Assert.That(await CommentsOnAsync(linkedV2), Is.Empty);
        Assert.That(throughV1.Applied, Is.EqualTo(1));

        var throughV2 = await DeliverFixtureAsync(v2, "comment_updated.json");

        Assert.That((await CommentsOnAsync(linkedV2)).Single().Body, Is.EqualTo("Added a comment, then edited it"));
        Assert.That((await CommentsOnAsync(linkedV1)).Single().Body, Is.EqualTo("Added a comment"));
        Assert.That(throughV2.Applied, Is.EqualTo(1));
    }

    [Test]
    public async Task Jira_webhook_never_changes_a_record_linked_to_the_same_item_id_through_another_provider()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var jira = await scenario.CreateIntegrationAsync(product, runAs);
        var gitHub = await scenario.CreateIntegrationAsync(product, runAs, provider: Provider.GitHub);
        var linkedInJira = await scenario.CreateLinkedRecordAsync(product, jira);
        var linkedInGitHub = await scenario.CreateLinkedRecordAsync(product, gitHub);

        var delivery = await DeliverFixtureAsync(jira, "comment_created.json");

        Assert.That(await CommentsOnAsync(linkedInJira), Has.Count.EqualTo(1));
        Assert.That(await CommentsOnAsync(linkedInGitHub), Is.Empty);
        Assert.That((delivery.Applied, delivery.NoTarget), Is.EqualTo((1, 0)));
    }

    [Test]
    public async Task Changing_the_run_as_user_attributes_later_changes_to_the_new_user_with_the_new_users_permissions()
    {
        var scenario = await CreateAsync();
        var p1 = await scenario.CreateProductAsync("P1");
        var p2 = await scenario.CreateProductAsync("P2");
        var before = await scenario.CreateWriterAsync("Before", p1, p2);
        var after = await scenario.CreateWriterAsync("After", p2);
        var integration = await scenario.CreateIntegrationAsync(p1, before);
        var tokenHash = integration.TokenHash;
        var inP1 = await scenario.CreateLinkedRecordAsync(p1, integration);
        var inP2 = await scenario.CreateLinkedRecordAsync(p2, integration);
        await DeliverFixtureAsync(integration, "comment_created.json");

        await PatchIntegrationAsync(integration.Id, new { runAsUserId = after.Id });
        var edit = await DeliverFixtureAsync(integration, "comment_updated.json");

        Assert.That((edit.Status, edit.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), "only the record the new user can write");
        var editedInP2 = (await CommentsOnAsync(inP2)).Single();
        Assert.That((editedInP2.Body, editedInP2.AuthorUserId), Is.EqualTo(("Added a comment, then edited it", after.Id)));
        var untouchedInP1 = (await CommentsOnAsync(inP1)).Single();
        Assert.That((untouchedInP1.Body, untouchedInP1.AuthorUserId), Is.EqualTo(("Added a comment", before.Id)));
        Assert.That((await AuditOfAsync(inP2)).Last().UserId, Is.EqualTo(after.Id));
        Assert.That((await ReloadAsync(inP2)).UpdatedByUserId, Is.EqualTo(after.Id));
        await using var db = NewContext();
        Assert.That(db.Integrations.Single(i => i.Id == integration.Id).TokenHash, Is.EqualTo(tokenHash));
    }

    [Test]
    public async Task Older_status_update_arriving_after_a_newer_one_leaves_the_newer_status()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);

        var done = await DeliverFixtureAsync(integration, "jira_issue_updated.status_done.json");
        var inProgress = await DeliverFixtureAsync(integration, "jira_issue_updated.status_in_progress.json");

        Assert.That(done.Status, Is.EqualTo(DeliveryStatus.Processed), done.LastError);
        Assert.That(inProgress.Status, Is.EqualTo(DeliveryStatus.Processed), inProgress.LastError);
        var reloaded = await ReloadAsync(record);
        Assert.That(reloaded.Status, Is.EqualTo("shipped"));
        Assert.That(reloaded.StatusSourceAt, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(1550286940507)));
        Assert.That((await AuditOfAsync(record)).Where(a => a.Action == "status_changed").Select(a => a.After), Is.EqualTo(new[] { "shipped" }));
    }

    [Test]
    public async Task Name_and_description_follow_summary_and_description_changes_and_older_ones_never_overwrite()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);

        await DeliverAsync(integration, JiraPayloads.IssueUpdated("900", "summary", "Old", "Newest name", 2000));
        await DeliverAsync(integration, JiraPayloads.IssueUpdated("800", "summary", "Older", "Stale name", 1000));
        await DeliverAsync(integration, JiraPayloads.IssueUpdated("901", "description", "Old", "New description", 1500));

        var reloaded = await ReloadAsync(record);
        Assert.That((reloaded.Name, reloaded.Description), Is.EqualTo(("Newest name", "New description")));
        Assert.That((await AuditOfAsync(record)).Select(a => a.Action), Is.EqualTo(new[] { "name_changed", "description_changed" }));
    }

    [Test]
    public async Task Replaying_an_applied_delivery_changes_nothing_and_reports_duplicates()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var first = await DeliverFixtureAsync(integration, "jira_issue_updated.status_done.json");
        var recordBefore = await ReloadAsync(record);
        var auditBefore = await AuditOfAsync(record);

        // What the admin replay does: back to accepted, and the same message sent again.
        await using (var db = NewContext())
        {
            var row = db.Deliveries.Single(d => d.Id == first.Id);
            row.Status = DeliveryStatus.Accepted;
            await db.SaveChangesAsync();
        }
        await WorkersSetUp.Worker.SendAsync(first);
        var replayed = await WaitForOutcomeAsync(first.Id);

        Assert.That((first.Status, first.Applied), Is.EqualTo((DeliveryStatus.Processed, 2)));
        Assert.That((replayed.Status, replayed.Applied, replayed.Duplicates, replayed.Attempts), Is.EqualTo((DeliveryStatus.Duplicate, 0, 2, 2)));
        var recordAfter = await ReloadAsync(record);
        Assert.That((recordAfter.Status, recordAfter.UpdatedAt), Is.EqualTo((recordBefore.Status, recordBefore.UpdatedAt)));
        Assert.That(await AuditOfAsync(record), Has.Count.EqualTo(auditBefore.Count));
    }

    [Test]
    public async Task Flood_of_the_same_comment_through_many_webhooks_makes_one_comment_per_reachable_record()
    {
        var scenario = await CreateAsync();
        var products = new[] { await scenario.CreateProductAsync("A"), await scenario.CreateProductAsync("B"), await scenario.CreateProductAsync("C") };
        var unreachable = await scenario.CreateProductAsync("Nobody writes here");
        var webhooks = new List<Integration>();
        for (var i = 0; i < 8; i++)
        {
            // Each webhook's user writes one or two of A, B, C; together they reach all three.
            var writes = i % 2 == 0 ? new[] { products[i % 3] } : new[] { products[i % 3], products[(i + 1) % 3] };
            webhooks.Add(await scenario.CreateIntegrationAsync(products[0], await scenario.CreateWriterAsync($"Writer{i}", writes)));
        }
        var records = new List<Record>();
        foreach (var product in products)
        {
            records.Add(await scenario.CreateLinkedRecordAsync(product, webhooks[0]));
        }
        var notReached = await scenario.CreateLinkedRecordAsync(unreachable, webhooks[1]);

        var body = JiraPayloads.Fixture("comment_created.json");
        var deliveries = new List<Delivery>();
        foreach (var webhook in webhooks)
        {
            deliveries.Add(await StoreDeliveryAsync(webhook, body));
        }
        await Task.WhenAll(deliveries.Select(WorkersSetUp.Worker.SendAsync));
        var outcomes = new List<Delivery>();
        foreach (var delivery in deliveries)
        {
            outcomes.Add(await WaitForOutcomeAsync(delivery.Id));
        }

        foreach (var record in records)
        {
            Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1), record.ReferenceNum);
        }
        Assert.That(await CommentsOnAsync(notReached), Is.Empty);
        Assert.That(outcomes.Sum(o => o.Applied), Is.EqualTo(records.Count));
        Assert.That(outcomes.Select(o => o.Status), Is.All.AnyOf(DeliveryStatus.Processed, DeliveryStatus.Duplicate));
    }

    [Test]
    public async Task Comment_is_edited_and_deleted_and_its_issue_commented_copy_is_a_duplicate()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);

        await DeliverFixtureAsync(integration, "comment_created.json");
        var copy = await DeliverAsync(integration, JiraPayloads.IssueCommented());
        await DeliverFixtureAsync(integration, "comment_updated.json");
        Assert.That((await CommentsOnAsync(record)).Single().Body, Is.EqualTo("Added a comment, then edited it"));
        await DeliverAsync(integration, JiraPayloads.CommentDeleted());

        Assert.That(copy.Status, Is.EqualTo(DeliveryStatus.Duplicate));
        Assert.That((await CommentsOnAsync(record)).Single().Deleted, Is.True);
        Assert.That((await AuditOfAsync(record)).Select(a => a.Action), Is.EqualTo(new[] { "comment_added", "comment_edited", "comment_deleted" }));
    }

    [Test]
    public async Task Comment_deleted_before_its_creation_is_applied_stays_deleted_through_the_creation_and_an_edit()
    {
        // Out of order as two replicas, a hand-back or a replay can make it: the deletion is applied first.
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        var record = await scenario.CreateLinkedRecordAsync(product, integration);

        var deletion = await DeliverAsync(integration, JiraPayloads.CommentDeleted());
        var creation = await DeliverFixtureAsync(integration, "comment_created.json");
        var edit = await DeliverFixtureAsync(integration, "comment_updated.json");

        Assert.That(new[] { deletion.Status, creation.Status, edit.Status }, Is.All.EqualTo(DeliveryStatus.Processed));
        Assert.That((await CommentsOnAsync(record)).Where(c => !c.Deleted), Is.Empty, "a comment deleted in Jira is not shown");
        Assert.That(await AuditOfAsync(record), Is.Empty, "nothing visible changed");
    }

    [Test]
    public async Task Status_mappings_are_inherited_from_the_template_and_own_entries_win()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var root = await scenario.CreateIntegrationAsync(product, runAs, settings: """{"statusMappings":{"Done":"from-root","In Progress":"wip"}}""");
        var middle = await scenario.CreateIntegrationAsync(product, runAs, settings: """{"statusMappings":{"Done":"from-middle"}}""", templateId: root.Id);
        var own = await scenario.CreateIntegrationAsync(product, runAs, settings: "{}", templateId: middle.Id);
        var record = await scenario.CreateLinkedRecordAsync(product, own);

        await DeliverFixtureAsync(own, "jira_issue_updated.status_in_progress.json");
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("wip"));
        await DeliverFixtureAsync(own, "jira_issue_updated.status_done.json");
        Assert.That((await ReloadAsync(record)).Status, Is.EqualTo("from-middle"));
    }

    [Test]
    public async Task Item_nobody_linked_is_processed_with_no_target()
    {
        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
        await scenario.CreateLinkedRecordAsync(product, integration, externalId: "some-other-issue");

        var delivery = await DeliverFixtureAsync(integration, "comment_created.json");

        Assert.That((delivery.Status, delivery.Applied, delivery.NoTarget, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 0, 1, (string?)null)));
    }
}
