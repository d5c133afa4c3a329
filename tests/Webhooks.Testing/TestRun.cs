namespace Webhooks.Testing;

/// <summary>
/// What one run of a test project has of its own, so runs never disturb each other: the real services checked, a
/// database and a RabbitMQ vhost, both removed at the end.
/// </summary>
public sealed class TestRun : IAsyncDisposable
{
    private TestRun(TestDatabase database, TestVirtualHost virtualHost)
    {
        Database = database;
        VirtualHost = virtualHost;
    }

    public TestDatabase Database { get; }
    public TestVirtualHost VirtualHost { get; }

    public static async Task<TestRun> StartAsync(string purpose)
    {
        await TestServices.EnsureReachableAsync();
        var database = await TestDatabase.CreateAsync(purpose);
        try
        {
            return new TestRun(database, await TestVirtualHost.CreateAsync(purpose));
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
