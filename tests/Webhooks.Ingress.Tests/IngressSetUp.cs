using Webhooks.Testing;

namespace Webhooks.Ingress.Tests;

/// <summary>One database and one vhost for the whole run of this assembly; tests isolate themselves by data.</summary>
[SetUpFixture]
public sealed class IngressSetUp
{
    public static TestDatabase Database { get; private set; } = null!;
    public static TestVirtualHost VirtualHost { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        await TestServices.EnsureReachableAsync();
        Database = await TestDatabase.CreateAsync("ingress");
        VirtualHost = await TestVirtualHost.CreateAsync("ingress");
        await TestBroker.DeclareProviderQueuesAsync(VirtualHost.Name);
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
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
