using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Operations.Replay;

namespace Webhooks.Ingress.Tests.Outbox;

/// <summary>
/// The outbox relay, against the real broker. Each test has a vhost of its own, so "the broker is down" can be
/// made true for the ingress under test alone (the vhost refuses connections) while other test runs go on.
/// </summary>
[NonParallelizable]
public sealed class OutboxRelayTests
{
    private TestVirtualHost _vhost = null!;

    [SetUp]
    public async Task CreateVirtualHost()
    {
        _vhost = await TestVirtualHost.CreateAsync("outbox");
        await TestBroker.DeclareProviderQueuesAsync(_vhost.Name);
    }

    [TearDown]
    public async Task DeleteVirtualHost() => await _vhost.DisposeAsync();

    private static int Occurrences(List<Guid> named, Guid deliveryId) => named.Count(id => id == deliveryId);

    [Test]
    public async Task Accepted_deliveries_reach_their_provider_queue_with_the_delivery_id_as_message_id()
    {
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await app.PostJiraCommentAsync(client, jira));
        }

        await app.WaitUntilPublishedAsync(ids, TimeSpan.FromSeconds(30));

        var (queued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(ids.Select(id => Occurrences(queued, id)), Is.All.EqualTo(1));
        using var adminHttp = app.CreateAdminClient();
        var admin = new AdminClient(adminHttp);
        foreach (var id in ids)
        {
            var shown = await AdminClient.ExpectAsync(await admin.GetAsync($"/deliveries/{id}"), HttpStatusCode.OK);
            Assert.That(shown.GetProperty("status").GetString(), Is.EqualTo("queued"));
        }
        await using var db = app.CreateDbContext();
        Assert.That(await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => ids.Contains(id)), Is.Zero, "sent deliveries leave the outbox");
    }

    [Test]
    public async Task Deliveries_accepted_while_the_broker_is_down_reach_their_queue_exactly_once_when_it_returns()
    {
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        await _vhost.BlockConnectionsAsync();

        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await app.PostJiraCommentAsync(client, jira));
        }
        await Consistently.HoldsAsync("nothing to be published while the broker refuses connections", async () =>
        {
            await using var db = app.CreateDbContext();
            return (await db.Deliveries.CountAsync(d => ids.Contains(d.Id) && d.PublishedAt == null), await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => ids.Contains(id)));
        }, waiting => waiting == (20, 20), TimeSpan.FromSeconds(1));

        await SendOnceTheBrokerReturnsAsync(app, ids);

        var (queued, messages) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(ids.Select(id => Occurrences(queued, id)), Is.All.EqualTo(1));
        Assert.That(messages, Is.EqualTo(1), "the backlog one pass claimed went as one batch message");
    }

    [Test]
    public async Task An_outbox_row_whose_delivery_already_has_its_outcome_is_dropped_without_a_send()
    {
        // An ingress that sent a pass and died before its commit leaves the outbox rows; a worker may apply the deliveries
        // from that send before the next pass. The next pass must not send them again.
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        await _vhost.BlockConnectionsAsync();
        var applied = await app.PostJiraCommentAsync(client, jira);
        await using (var db = app.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'processed', attempts = 1, applied = 1, processed_at = now() WHERE id = {applied}");
        }
        var waiting = await app.PostJiraCommentAsync(client, jira);

        await _vhost.UnblockForOnePassAsync(app.ConnectionString, [applied, waiting]);
        await app.WaitUntilPublishedAsync([waiting], TimeSpan.FromSeconds(60));
        await Eventually.GetAsync("the applied delivery's outbox row to go", async () =>
        {
            await using var db = app.CreateDbContext();
            return await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => id == applied);
        }, rows => rows == 0, TimeSpan.FromSeconds(10));

        var (queued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That((Occurrences(queued, applied), Occurrences(queued, waiting)), Is.EqualTo((0, 1)));
        await using var after = app.CreateDbContext();
        Assert.That(await after.Deliveries.Where(d => d.Id == applied).Select(d => d.Status).SingleAsync(), Is.EqualTo(DeliveryStatus.Processed));
    }

    [Test]
    public async Task A_relay_that_starts_does_not_send_what_a_stopped_process_left_in_the_outbox_once_it_has_its_outcome()
    {
        // A process that sent a pass and stopped before its delete leaves the outbox rows, whose claim checks say nothing
        // of what a worker did since. The next relay to start reads the deliveries before it trusts the checks.
        Guid applied, waiting;
        await using (var stopped = await IngressFixture.StartAsync(virtualHost: _vhost.Name))
        {
            using var client = stopped.CreateClient();
            var jira = await stopped.CreateIntegrationAsync(Provider.Jira);
            await _vhost.BlockConnectionsAsync();
            applied = await stopped.PostJiraCommentAsync(client, jira);
            waiting = await stopped.PostJiraCommentAsync(client, jira);
            await using var db = stopped.CreateDbContext();
            await db.Database.ExecuteSqlAsync($"UPDATE deliveries SET status = 'processed', attempts = 1, applied = 1, processed_at = now() WHERE id = {applied}");
        }
        await _vhost.UnblockConnectionsAsync();

        await using var started = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        await started.WaitUntilPublishedAsync([waiting], TimeSpan.FromSeconds(60));
        await Eventually.GetAsync("the applied delivery's outbox row to go", async () =>
        {
            await using var db = started.CreateDbContext();
            return await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => id == applied);
        }, rows => rows == 0, TimeSpan.FromSeconds(10));

        var (queued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That((Occurrences(queued, applied), Occurrences(queued, waiting)), Is.EqualTo((0, 1)));
    }

    [Test]
    public async Task Delivery_put_back_by_another_process_is_sent_on_its_notification_long_before_the_sweep()
    {
        // The sweep would not come for ten minutes: only the replay's NOTIFY, heard by the relay's LISTEN, can send it.
        await using var app = await IngressFixture.StartAsync(configure: web => web.UseSetting("Outbox:SweepInterval", "00:10:00"), virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        await app.WaitUntilListeningAsync();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        var delivery = await app.PostJiraCommentAsync(client, jira);
        await app.WaitUntilPublishedAsync([delivery], TimeSpan.FromSeconds(30));
        Assert.That(Occurrences((await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira))).DeliveryIds, delivery), Is.EqualTo(1));

        // What `Webhooks.Workers deliveries replay` does, on a connection of its own as another process has.
        await using (var otherProcess = app.CreateDbContext())
        {
            Assert.That(await new StoredDeliveryReplay(otherProcess).PutBackAsync([delivery], Guid.CreateVersion7(), CancellationToken.None), Does.Contain(delivery));
        }
        await app.WaitUntilPublishedAsync([delivery], TimeSpan.FromSeconds(10));

        var queued = await TestBroker.DrainMessageIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(queued, Is.EqualTo(new[] { delivery.ToString() }), "the relay sent the replayed delivery once more, alone (its own ProcessDelivery)");
    }

    [Test]
    public async Task An_outbox_row_naming_no_delivery_leaves_the_backlog()
    {
        // Not something the triggers write; a row emptied by hand must not age in the health check's backlog forever.
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        long empty;
        await using (var db = app.CreateDbContext())
        {
            empty = await db.Database.SqlQuery<long>($"INSERT INTO outbox (delivery_ids, received_at) VALUES ('{{}}', now() - interval '1 minute') RETURNING id AS \"Value\"")
                .AsAsyncEnumerable().SingleAsync();
        }

        await Eventually.GetAsync("the empty outbox row to go", async () =>
        {
            await using var db = app.CreateDbContext();
            return await db.Outbox.CountAsync(o => o.Id == empty);
        }, rows => rows == 0, TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task An_outbox_row_whose_delivery_was_deleted_by_hand_leaves_the_backlog()
    {
        // An operator deleting old deliveries by hand must not leave the health check and the console counting a backlog
        // that can never be sent.
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        await _vhost.BlockConnectionsAsync();
        var deleted = await app.PostJiraCommentAsync(client, jira);
        await using (var db = app.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM deliveries WHERE id = {deleted}");
        }
        var waiting = await app.PostJiraCommentAsync(client, jira);

        await _vhost.UnblockForOnePassAsync(app.ConnectionString, [deleted, waiting]);
        await app.WaitUntilPublishedAsync([waiting], TimeSpan.FromSeconds(60));
        await Eventually.GetAsync("the deleted delivery's outbox row to go", async () =>
        {
            await using var db = app.CreateDbContext();
            return await db.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => id == deleted);
        }, rows => rows == 0, TimeSpan.FromSeconds(10));

        var (queued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That((Occurrences(queued, deleted), Occurrences(queued, waiting)), Is.EqualTo((0, 1)));
    }

    [Test]
    public async Task A_delivery_replayed_twice_while_the_broker_is_down_is_sent_once_when_it_returns()
    {
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        var delivery = await app.PostJiraCommentAsync(client, jira);
        await app.WaitUntilPublishedAsync([delivery], TimeSpan.FromSeconds(30));
        await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));

        await _vhost.BlockConnectionsAsync();
        await using (var otherProcess = app.CreateDbContext())
        {
            var replay = new StoredDeliveryReplay(otherProcess);
            await replay.PutBackAsync([delivery], Guid.CreateVersion7(), CancellationToken.None);
            await replay.PutBackAsync([delivery], Guid.CreateVersion7(), CancellationToken.None);
            Assert.That(await otherProcess.Outbox.SelectMany(o => o.DeliveryIds).CountAsync(id => id == delivery), Is.EqualTo(2), "each put-back adds a row");
        }
        await SendOnceTheBrokerReturnsAsync(app, [delivery]);

        var queued = await TestBroker.DrainMessageIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(queued, Is.EqualTo(new[] { delivery.ToString() }), "one pass claimed both rows and sent the delivery once");
    }

    [Test]
    public async Task Two_ingress_replicas_publish_each_delivery_once()
    {
        await using var first = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        await using var second = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var firstClient = first.CreateClient();
        using var secondClient = second.CreateClient();
        var jira = await first.CreateIntegrationAsync(Provider.Jira);
        await second.Services.GetRequiredService<Webhooks.Ingress.Webhook.IntegrationsByToken>().RefreshAsync(CancellationToken.None);

        // Both replicas store while the broker is away, then both relays compete for the same backlog.
        await _vhost.BlockConnectionsAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            ids.Add(await (i % 2 == 0 ? first : second).PostJiraCommentAsync(i % 2 == 0 ? firstClient : secondClient, jira));
        }
        await _vhost.UnblockConnectionsAsync();
        await first.WaitUntilPublishedAsync(ids, TimeSpan.FromSeconds(60));

        var (queued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(ids.Select(id => Occurrences(queued, id)), Is.All.EqualTo(1));
    }

    [Test]
    public async Task Deliveries_stored_by_one_commit_share_an_outbox_row_which_keeps_only_those_whose_send_failed()
    {
        await using var app = await IngressFixture.StartAsync(virtualHost: _vhost.Name);
        using var client = app.CreateClient();
        var jira = await app.CreateIntegrationAsync(Provider.Jira);
        var github = await app.CreateIntegrationAsync(Provider.GitHub, signingSecret: "outbox-row-secret");
        // GitHub's exchange is left without its queue: the broker returns those sends (mandatory), Jira's go through.
        await using (var connection = await TestBroker.ConnectAsync(_vhost.Name))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(QueueNames.For(Provider.GitHub), ifUnused: false, ifEmpty: false);
        }

        // While a lock holds the ingress's COPYs back, the requests meanwhile queue for the next group commit: one
        // statement, so one outbox row, names many of them, of both providers.
        await using var locker = new NpgsqlConnection(app.ConnectionString);
        await locker.OpenAsync();
        var lockTransaction = await locker.BeginTransactionAsync();
        await new NpgsqlCommand("LOCK TABLE deliveries IN SHARE MODE", locker, lockTransaction).ExecuteNonQueryAsync();
        var jiraPosts = Enumerable.Range(0, 10).Select(_ => app.PostJiraCommentAsync(client, jira)).ToList();
        var githubPosts = Enumerable.Range(0, 10).Select(_ => GitHubSender.PostSignedAsync(client, github.Path, "outbox-row-secret")).ToList();
        await Eventually.GetAsync("a COPY waiting for the lock", async () =>
        {
            // Not on the locker: inside one transaction pg_stat_activity keeps showing what its first read saw, so a COPY
            // that began to wait after that read was never seen (a CI run waited the whole 30 s).
            await using var watcher = new NpgsqlConnection(app.ConnectionString);
            await watcher.OpenAsync();
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", watcher);
            return (long)(await count.ExecuteScalarAsync())!;
        }, waiting => waiting >= 1);
        await lockTransaction.CommitAsync();
        var jiraIds = (await Task.WhenAll(jiraPosts)).ToList();
        Assert.That(await Task.WhenAll(githubPosts), Is.All.EqualTo(System.Net.HttpStatusCode.OK));
        var githubIds = (await app.DeliveriesOfAsync(github.Id)).Select(d => d.Id).ToList();
        Assert.That((jiraIds.Count, githubIds.Count), Is.EqualTo((10, 10)));

        var rows = await Eventually.GetAsync("only GitHub's deliveries left in the outbox", async () =>
        {
            await using var db = app.CreateDbContext();
            return await db.Outbox.AsNoTracking().ToListAsync();
        }, left => left.SelectMany(r => r.DeliveryIds).Order().SequenceEqual(githubIds.Order()));
        Assert.That(rows, Has.Count.LessThan(githubIds.Count), "deliveries of one commit share a row");
        var (jiraQueued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        Assert.That(jiraIds.Select(id => Occurrences(jiraQueued, id)), Is.All.EqualTo(1), "the sent ones left their row and went once");

        await TestBroker.DeclareProviderQueuesAsync(_vhost.Name);
        await app.WaitUntilPublishedAsync(githubIds, TimeSpan.FromSeconds(60));
        var (githubQueued, _) = await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.GitHub));
        Assert.That(githubIds.Select(id => Occurrences(githubQueued, id)), Is.All.EqualTo(1));
        Assert.That(await TestBroker.CountAsync(_vhost.Name, QueueNames.For(Provider.Jira)), Is.Zero, "no Jira delivery sent again");
    }

    [Test]
    public async Task A_delivery_shows_accepted_while_it_waits_for_the_broker_and_queued_once_sent_without_its_row_being_rewritten()
    {
        await using var scene = await JiraSceneAsync();
        var admin = scene.Admin;
        var jira = scene.Jira;
        await _vhost.BlockConnectionsAsync();
        var ids = await scene.PostTwoCommentsAsync();
        var versions = await RowVersionsAsync(scene.App, ids);

        Assert.That(await ShownAsync(admin, ids), Is.All.EqualTo("accepted"), "the broker refuses: they wait in the outbox");
        Assert.That(await ListedAsync(admin, jira.Id, "accepted"), Is.EquivalentTo(ids));
        Assert.That(await ListedAsync(admin, jira.Id, "queued"), Is.Empty);

        await SendOnceTheBrokerReturnsAsync(scene.App, ids);

        Assert.That(await ShownAsync(admin, ids), Is.All.EqualTo("queued"), "on the broker, no worker took them yet");
        Assert.That(await ListedAsync(admin, jira.Id, "queued"), Is.EquivalentTo(ids));
        Assert.That(await ListedAsync(admin, jira.Id, "accepted"), Is.Empty);
        Assert.That(await RowVersionsAsync(scene.App, ids), Is.EqualTo(versions), "sending writes no delivery row: queued is read from the outbox");
        Assert.That(await TestBroker.CountAsync(_vhost.Name, QueueNames.For(Provider.Jira)), Is.EqualTo(1), "both in one batch message");
    }

    [Test]
    public async Task A_replay_counts_its_deliveries_accepted_while_the_broker_refuses_and_queued_once_sent()
    {
        await using var scene = await JiraSceneAsync();
        var admin = scene.Admin;
        var ids = await scene.PostTwoCommentsAsync();
        await scene.App.WaitUntilPublishedAsync(ids, TimeSpan.FromSeconds(30));
        await TestBroker.DrainDeliveryIdsAsync(_vhost.Name, QueueNames.For(Provider.Jira));
        await _vhost.BlockConnectionsAsync();

        var started = await admin.ExpectAsync(HttpMethod.Post, "/deliveries/replay", new { ids }, HttpStatusCode.Accepted);
        var replay = $"/deliveries/replays/{started.GetProperty("replayId").GetGuid()}";
        var waiting = await admin.ExpectAsync(HttpMethod.Get, replay, null, HttpStatusCode.OK);
        Assert.That((waiting.GetProperty("accepted").GetInt32(), waiting.GetProperty("queued").GetInt32(), waiting.GetProperty("done").GetBoolean()),
            Is.EqualTo((2, 0, false)), "back in the outbox, the broker refuses");

        await SendOnceTheBrokerReturnsAsync(scene.App, ids);
        var sent = await admin.ExpectAsync(HttpMethod.Get, replay, null, HttpStatusCode.OK);
        Assert.That((sent.GetProperty("accepted").GetInt32(), sent.GetProperty("queued").GetInt32(), sent.GetProperty("done").GetBoolean()),
            Is.EqualTo((0, 2, false)), "on the broker, no worker took them");
        Assert.That(sent.GetProperty("statuses").GetProperty("queued").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_replayed_delivery_that_was_sent_is_logged_as_replayed_from_queued()
    {
        await using var scene = await JiraSceneAsync(web => web.ConfigureLogging(logging => logging.AddFakeLogging()));
        var ids = await scene.PostTwoCommentsAsync();
        await scene.App.WaitUntilPublishedAsync(ids, TimeSpan.FromSeconds(30));
        Assert.That(await ShownAsync(scene.Admin, ids), Is.All.EqualTo("queued"), "sent, and no worker took them");

        await scene.Admin.ExpectAsync(HttpMethod.Post, $"/deliveries/{ids[0]}/replay", null, HttpStatusCode.Accepted);

        var replayed = scene.App.Services.GetFakeLogCollector().GetSnapshot().Single(r => r.Id.Id == 4030);
        Assert.That(replayed.StructuredState?.Single(p => p.Key == "PreviousStatus").Value, Is.EqualTo("queued"),
            "the log names the status the operator saw, not the stored accepted");
    }

    /// <summary>An ingress on this test's vhost with a Jira integration, a webhook client and an admin client.</summary>
    private sealed class JiraScene(IngressApplication app, HttpClient webhooks, HttpClient adminHttp, SeededIntegration jira) : IAsyncDisposable
    {
        public IngressApplication App => app;
        public AdminClient Admin { get; } = new(adminHttp);
        public SeededIntegration Jira => jira;

        public async Task<List<Guid>> PostTwoCommentsAsync() =>
            [await app.PostJiraCommentAsync(webhooks, jira), await app.PostJiraCommentAsync(webhooks, jira)];

        public async ValueTask DisposeAsync()
        {
            webhooks.Dispose();
            adminHttp.Dispose();
            await app.DisposeAsync();
        }
    }

    private async Task<JiraScene> JiraSceneAsync(Action<IWebHostBuilder>? configure = null)
    {
        var app = await IngressFixture.StartAsync(configure, virtualHost: _vhost.Name);
        return new JiraScene(app, app.CreateClient(), app.CreateAdminClient(), await app.CreateIntegrationAsync(Provider.Jira));
    }

    /// <summary>Lets the broker take connections again and waits until the relay has sent <paramref name="ids"/>.</summary>
    private async Task SendOnceTheBrokerReturnsAsync(IngressApplication app, List<Guid> ids)
    {
        await _vhost.UnblockForOnePassAsync(app.ConnectionString, ids);
        await app.WaitUntilPublishedAsync(ids, TimeSpan.FromSeconds(60));
    }

    private static async Task<List<string?>> ShownAsync(AdminClient admin, IEnumerable<Guid> ids)
    {
        var shown = new List<string?>();
        foreach (var id in ids)
        {
            shown.Add((await AdminClient.ExpectAsync(await admin.GetAsync($"/deliveries/{id}"), HttpStatusCode.OK)).GetProperty("status").GetString());
        }
        return shown;
    }

    private static async Task<List<Guid>> ListedAsync(AdminClient admin, Guid integrationId, string status)
    {
        var page = await AdminClient.ExpectAsync(await admin.GetAsync($"/deliveries?status={status}&integrationId={integrationId}"), HttpStatusCode.OK);
        var viaIntegration = await AdminClient.ExpectAsync(await admin.GetAsync($"/integrations/{integrationId}/deliveries?status={status}"), HttpStatusCode.OK);
        var listed = page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetGuid()).ToList();
        Assert.That(viaIntegration.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()), Is.EquivalentTo(listed), "both lists read the status alike");
        return listed;
    }

    /// <summary>Each row's <c>xmin</c>: the transaction that wrote its current version.</summary>
    private static async Task<List<uint>> RowVersionsAsync(IngressApplication app, List<Guid> ids)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xmin::text::bigint FROM deliveries WHERE id = ANY($1) ORDER BY id", connection)
        {
            Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] } },
        };
        var versions = new List<uint>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add((uint)reader.GetInt64(0));
        }
        return versions;
    }
}
