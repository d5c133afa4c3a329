using Webhooks.Testing;

namespace Webhooks.Workers.Tests;

/// <summary>
/// Once per run: check the real services, make a database and a RabbitMQ vhost of our own, and start one worker host
/// that the end-to-end tests share (each test isolates itself by its own account and data).
/// </summary>
[SetUpFixture]
public sealed class WorkersSetUp
{
    public static TestDatabase Database { get; private set; } = null!;
    public static TestVirtualHost VirtualHost { get; private set; } = null!;
    public static WorkerApplication Worker { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        await TestServices.EnsureReachableAsync();
        Database = await TestDatabase.CreateAsync("workers");
        await FailureInjection.InstallAsync(Database.ConnectionString);
        VirtualHost = await TestVirtualHost.CreateAsync("workers");
        Worker = await WorkerApplication.StartAsync();
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }
        if (VirtualHost is not null)
        {
            await VirtualHost.DisposeAsync();
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}
