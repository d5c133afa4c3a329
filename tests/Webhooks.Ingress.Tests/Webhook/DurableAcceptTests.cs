using System.Net;
using System.Text;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>Nothing is answered 200 unless it is stored: a failed write is a 503 the sender retries.</summary>
[NonParallelizable]
public sealed class DurableAcceptTests
{
    [Test]
    public async Task Payload_that_cannot_be_stored_is_503_with_Retry_After_and_the_next_one_is_stored_again()
    {
        await using var database = await TestDatabase.CreateAsync("accept");
        await using var app = new IngressApplication(connectionString: database.ConnectionString);
        using var client = app.CreateClient();
        await app.StartAsync();
        var integration = await app.CreateIntegrationAsync(Provider.Jira);

        await ExecuteAsync(database, "ALTER TABLE deliveries RENAME TO deliveries_away");
        using var refused = await client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, "application/json"));
        await ExecuteAsync(database, "ALTER TABLE deliveries_away RENAME TO deliveries");
        using var accepted = await client.PostAsync(integration.Path, new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(refused.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
        Assert.That(await app.DeliveriesOfAsync(integration.Id), Has.Count.EqualTo(1), "only the accepted one is stored");
    }

    private static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
