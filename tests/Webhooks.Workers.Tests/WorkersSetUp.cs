namespace Webhooks.Workers.Tests;

/// <summary>
/// Once per run: check the real services, make a database and a RabbitMQ vhost of our own, and start one worker host
/// that the end-to-end tests share (each test isolates itself by its own account and data) and the admin API that
/// <see cref="WorkerScenario"/> makes those accounts through.
/// </summary>
[SetUpFixture]
public sealed class WorkersSetUp
{
    private static TestRun? _run;

    public static TestDatabase Database => _run!.Database;
    public static TestVirtualHost VirtualHost => _run!.VirtualHost;
    public static WorkerApplication Worker { get; private set; } = null!;
    public static AdminIngress AdminApi { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        _run = await TestRun.StartAsync("workers");
        await FailureInjection.InstallAsync(Database.ConnectionString);
        Worker = await WorkerApplication.StartAsync();
        AdminApi = await AdminIngress.StartWithoutRelayAsync();
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
        if (AdminApi is not null)
        {
            await AdminApi.DisposeAsync();
        }
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }
        if (_run is not null)
        {
            await _run.DisposeAsync();
        }
    }
}
