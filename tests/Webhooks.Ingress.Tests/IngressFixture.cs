namespace Webhooks.Ingress.Tests;

/// <summary>One ingress and one plain client for a whole test class; override <see cref="CreateApplication"/> for settings.</summary>
public abstract class IngressFixture
{
    protected IngressApplication App { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected virtual IngressApplication CreateApplication() => new();

    [OneTimeSetUp]
    public async Task Start_the_ingress()
    {
        App = CreateApplication();
        Client = App.CreateClient();
        await App.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop_the_ingress()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
