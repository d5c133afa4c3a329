namespace Webhooks.Ingress.Tests;

/// <summary>One database and one vhost for the whole run of this assembly; tests isolate themselves by data.</summary>
[SetUpFixture]
public sealed class IngressSetUp
{
    private static TestRun? _run;

    public static TestDatabase Database => _run!.Database;
    public static TestVirtualHost VirtualHost => _run!.VirtualHost;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        _run = await TestRun.StartAsync("ingress");
        await TestBroker.DeclareProviderQueuesAsync(VirtualHost.Name);
    }

    [OneTimeTearDown]
    public async Task After_all()
    {
        if (_run is not null)
        {
            await _run.DisposeAsync();
        }
    }
}
