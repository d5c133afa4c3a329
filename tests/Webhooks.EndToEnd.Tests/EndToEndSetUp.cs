using Webhooks.Testing;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// Once per run: check the real services, make a database and a vhost of our own, and start the whole stack on them
/// (the worker first: its receive endpoints declare the queues the ingress sends to). Tests isolate themselves by data.
/// </summary>
[SetUpFixture]
public sealed class EndToEndSetUp
{
    public static TestDatabase Database { get; private set; } = null!;
    public static TestVirtualHost VirtualHost { get; private set; } = null!;
    public static StackFixture Stack { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        await TestServices.EnsureReachableAsync();
        Database = await TestDatabase.CreateAsync("endtoend");
        VirtualHost = await TestVirtualHost.CreateAsync("endtoend");
        Stack = await StackFixture.StartAsync(Database.ConnectionString, VirtualHost.Name);
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
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
