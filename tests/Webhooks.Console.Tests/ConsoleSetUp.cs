
namespace Webhooks.Console.Tests;

/// <summary>
/// Once per run: the real services, a database and a vhost of our own, the stack on them, and Debian's Chromium.
/// Tests isolate themselves by data (each seeds its own account) and by browser context (each its own cookies).
/// </summary>
[SetUpFixture]
public sealed class ConsoleSetUp
{
    /// <summary>Debian's package (deploy/services/install.sh installs it); Playwright's own browser builds are never downloaded.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static TestRun? _run;

    public static TestDatabase Database => _run!.Database;
    public static TestVirtualHost VirtualHost => _run!.VirtualHost;
    public static ConsoleStack Stack { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Before_any()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (deploy/test.sh does: apt-get install -y chromium).");
        }
        _run = await TestRun.StartAsync("console");
        await FailureInjection.InstallAsync(Database.ConnectionString);
        Stack = await ConsoleStack.StartAsync(Database.ConnectionString, VirtualHost.Name);
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
