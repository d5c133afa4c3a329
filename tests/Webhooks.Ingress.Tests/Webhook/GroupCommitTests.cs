using System.Net;
using System.Text;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>
/// The group commit's second writer: idle while the first keeps up (a moderate rate gets fuller commits), writing
/// alongside it once webhooks pile up behind its commit.
/// </summary>
[NonParallelizable]
public sealed class GroupCommitTests
{
    [Test]
    public async Task A_second_commit_starts_only_once_webhooks_pile_up_behind_the_first()
    {
        await using var database = await TestDatabase.CreateAsync("commit");
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

        var posts = new List<Task<HttpResponseMessage>> { Post(client, integration) };
        await Eventually.HoldsAsync("the first writer's COPY to wait", async () => await WaitingCopiesAsync(database) == 1);
        for (var i = 1; i < DeliveryWriter.BacklogForSecondWriter; i++)
        {
            posts.Add(Post(client, integration));
        }
        await Consistently.HoldsAsync("one COPY at a time below the backlog", async () => await WaitingCopiesAsync(database) == 1, TimeSpan.FromSeconds(1));
        posts.Add(Post(client, integration));
        await Eventually.HoldsAsync("the second writer's COPY to wait too", async () => await WaitingCopiesAsync(database) == 2);
        await held.CommitAsync();

        var answers = await Task.WhenAll(posts);
        Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await app.DeliveriesOfAsync(integration.Id), Has.Count.EqualTo(DeliveryWriter.BacklogForSecondWriter + 1));
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, SeededIntegration integration) =>
        client.PostAsync(integration.Path, new StringContent("""{"webhookEvent":"comment_created"}""", Encoding.UTF8, "application/json"));

    private static async Task<long> WaitingCopiesAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("""
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY deliveries%'
            """, connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
