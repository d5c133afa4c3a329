namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// Once per run: check the real services, make a database and a vhost of our own, and start the whole stack on them
/// (the worker first: its receive endpoints declare the queues the ingress sends to). Tests isolate themselves by data.
/// </summary>
[SetUpFixture]
public sealed class EndToEndSetUp
{
    private static TestRun? _run;

    public static TestDatabase Database => _run!.Database;
    public static TestVirtualHost VirtualHost => _run!.VirtualHost;
    public static StackFixture Stack { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        _run = await TestRun.StartAsync("endtoend");
        Stack = await StackFixture.StartAsync(Database.ConnectionString, VirtualHost.Name);
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
        if (_run is not null)
        {
            await _run.DisposeAsync();
        }
    }
}
