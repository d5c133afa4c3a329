using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>Nothing is answered 200 unless it is stored: a failed write is a 503 the sender retries, a refused row a 400.</summary>
[NonParallelizable]
public sealed class DurableAcceptTests
{
    [Test]
    public async Task Payload_that_cannot_be_stored_is_503_with_Retry_After_and_the_next_one_is_stored_again()
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);

        await database.ExecuteAsync("ALTER TABLE deliveries RENAME TO deliveries_away");
        using var refused = await client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, "application/json"));
        await database.ExecuteAsync("ALTER TABLE deliveries_away RENAME TO deliveries");
        using var accepted = await client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(refused.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
        Assert.That(await app.DeliveriesOfAsync(integration.Id), Has.Count.EqualTo(1), "only the accepted one is stored");
    }

    /// <summary>
    /// One row the database refuses in a shared group commit: the others of its batch are stored and answered 200, and
    /// its own request is answered 400 — never 200 through the holding queue, where a worker would meet the same refusal.
    /// </summary>
    [Test]
    public async Task Row_the_database_refuses_fails_only_its_own_request_and_never_gets_a_200()
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        // A constraint only this request's row breaks (SQLSTATE 23514), as any row-level refusal would.
        await database.ExecuteAsync("ALTER TABLE deliveries ADD CONSTRAINT refuses_poison CHECK (content_type NOT LIKE 'application/poison%')");

        var contentTypes = Enumerable.Repeat("application/json", 30).Append("application/poison").Concat(Enumerable.Repeat("application/json", 30)).ToList();
        var answers = await Task.WhenAll(contentTypes.Select(async contentType =>
        {
            using var response = await client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, contentType));
            return (contentType, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        var poison = answers.Single(a => a.contentType == "application/poison");
        var normal = answers.Where(a => a.contentType != "application/poison").ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(normal.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", normal.Select(a => a.Body).Distinct()));
            Assert.That(poison.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), poison.Body);
            Assert.That(poison.Body, Does.Contain("unstorable"));
            var stored = await app.DeliveriesOfAsync(integration.Id);
            Assert.That(stored, Has.Count.EqualTo(normal.Count), "every 200 is stored, the refused one is not");
            Assert.That(stored.Select(d => d.ContentType), Is.All.EqualTo("application/json; charset=utf-8"));
        });
    }

    /// <summary>
    /// A writer keeps its connection from one group commit to the next. When the server ends it (a restart, an
    /// administrator, a proxy), the batch that meets the dead connection is not stored (held, or 503 where no holding
    /// queue is set up, as here), and the writer opens another for the next: webhooks are stored again, rather than
    /// refused for as long as the process runs.
    /// </summary>
    [Test]
    public async Task After_the_server_ends_the_ingress_connections_the_next_webhooks_are_stored_again()
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        var first = await app.PostJiraCommentAsync(client, integration);

        await database.ExecuteAsync("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        // Posted back to back, so the writers keep whatever connection they have between them.
        var answers = new List<HttpStatusCode>();
        var storedInARow = 0;
        while (storedInARow < 5 && answers.Count < 20)
        {
            using var content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(integration.Path, content);
            answers.Add(response.StatusCode);
            storedInARow = response.StatusCode == HttpStatusCode.OK ? storedInARow + 1 : 0;
        }

        Assert.Multiple(async () =>
        {
            Assert.That(storedInARow, Is.EqualTo(5),
                $"after the connections ended, the answers were {string.Join(", ", answers.Select(a => (int)a))}: the writers kept a dead connection");
            Assert.That(answers, Is.All.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.ServiceUnavailable));
            var stored = await app.DeliveriesOfAsync(integration.Id);
            Assert.That(stored, Has.Count.EqualTo(1 + answers.Count(a => a == HttpStatusCode.OK)), "every 200 is stored");
            Assert.That(stored.Select(d => d.Id), Does.Contain(first));
        });
    }

    /// <summary>
    /// The group commit's second writer stays idle while the first keeps up (a moderate rate gets fuller commits) and
    /// writes alongside it once webhooks pile up behind its commit.
    /// </summary>
    [Test]
    public async Task A_second_commit_starts_only_once_webhooks_pile_up_behind_the_first()
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = await IngressFixture.StartAsync(connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        // The first writer's COPY waits on this lock as on a slow commit; so does the second's, once it starts one.
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await using var held = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE deliveries IN SHARE MODE", holder, held))
        {
            await lockTable.ExecuteNonQueryAsync();
        }
        async Task<long> WaitingCopiesAsync() => (long)(await database.ExecuteAsync("""
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY deliveries%'
            """))!;

        var posts = new List<Task<Guid>> { app.PostJiraCommentAsync(client, integration) };
        await Eventually.HoldsAsync("the first writer's COPY to wait", async () => await WaitingCopiesAsync() == 1);
        for (var i = 1; i < DeliveryWriter.BacklogForSecondWriter; i++)
        {
            posts.Add(app.PostJiraCommentAsync(client, integration));
        }
        await Consistently.HoldsAsync("one COPY at a time below the backlog", async () => await WaitingCopiesAsync() == 1, TimeSpan.FromSeconds(1));
        posts.Add(app.PostJiraCommentAsync(client, integration));
        await Eventually.HoldsAsync("the second writer's COPY to wait too", async () => await WaitingCopiesAsync() == 2);
        await held.CommitAsync();

        var accepted = await Task.WhenAll(posts);
        Assert.That(accepted.Distinct().Count(), Is.EqualTo(DeliveryWriter.BacklogForSecondWriter + 1), "each answered 200 with its own delivery");
        Assert.That(await app.DeliveriesOfAsync(integration.Id), Has.Count.EqualTo(DeliveryWriter.BacklogForSecondWriter + 1));
    }

    /// <summary>
    /// The group commit, woken by a lone webhook, waits <c>Ingress:CommitLinger</c> for more before it writes: webhooks
    /// arriving within it share one commit (one transaction id on their rows), where without it each is written alone.
    /// </summary>
    [TestCase("00:00:01", 1)]
    [TestCase("00:00:00", 3)]
    public async Task Webhooks_arriving_within_the_commit_linger_share_one_commit(string linger, long commits)
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = await IngressFixture.StartAsync(web => web.UseSetting("Ingress:CommitLinger", linger), database.ConnectionString);
        using var client = app.CreateClient();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);
        // The first request of a fresh server is slow enough (compiling) for the next ones to catch up with it.
        var first = await app.PostJiraCommentAsync(client, integration);

        // 200 ms apart: well inside a 1 s linger, and far longer than a commit takes without one.
        var posts = new List<Task<Guid>>();
        for (var i = 0; i < 3; i++)
        {
            posts.Add(app.PostJiraCommentAsync(client, integration));
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        var accepted = await Task.WhenAll(posts);

        Assert.That(accepted.Distinct().Count(), Is.EqualTo(3), "each answered 200 with its own delivery");
        Assert.That(await database.ExecuteAsync($"SELECT count(DISTINCT xmin::text) FROM deliveries WHERE id <> '{first}'"), Is.EqualTo(commits));
    }
}
