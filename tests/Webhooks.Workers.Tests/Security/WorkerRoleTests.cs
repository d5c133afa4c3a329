using Npgsql;
using Webhooks.Persistence.Model;
using Webhooks.Testing;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Security;

/// <summary>
/// A worker connected as <c>webhooks_worker</c> (Persistence/Sql/grants.sql: read and write, never delete or change the
/// schema) applies deliveries end to end, and records a replay as duplicate. Own vhost, so only this worker consumes.
/// </summary>
[NonParallelizable]
public sealed class WorkerRoleTests
{
    [Test]
    public async Task Worker_on_the_restricted_role_applies_a_delivery_and_records_its_replay_as_duplicate()
    {
        var workerConnection = new NpgsqlConnectionStringBuilder(WorkersSetUp.Database.ConnectionString)
        {
            Username = "webhooks_worker",
            Password = "webhooks_worker",
        }.ConnectionString;
        // The run's failure injection adds a table after the migrations; grant again as deploy does after each migration.
        await Webhooks.Persistence.PersistenceExtensions.GrantRolesAsync(WorkersSetUp.Database.ConnectionString);
        await using var virtualHost = await TestVirtualHost.CreateAsync("worker-role");
        await using var worker = await WorkerApplication.StartAsync(
            $"--ConnectionStrings:Webhooks={workerConnection}",
            $"--RabbitMqTransport:VHost={virtualHost.Name}");

        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("P");
        var runAs = await scenario.CreateWriterAsync("Runner", product);
        var integration = await scenario.CreateIntegrationAsync(product, runAs);
        var record = await scenario.CreateLinkedRecordAsync(product, integration);
        var body = PayloadFixtures.Read(Webhooks.Contracts.Provider.Jira, "comment_created.json");

        var first = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "replayed-1");
        await worker.SendAsync(first);
        var applied = await WaitForOutcomeAsync(first.Id);
        Assert.That(applied.Status, Is.EqualTo(DeliveryStatus.Processed), applied.LastError);

        var replay = await StoreDeliveryAsync(integration, body, sourceDeliveryId: "replayed-1");
        await worker.SendAsync(replay);
        Assert.That((await WaitForOutcomeAsync(replay.Id)).Status, Is.EqualTo(DeliveryStatus.Duplicate));
        Assert.That(await CommentsOnAsync(record), Has.Count.EqualTo(1), "the replay applies nothing twice");
    }
}
