using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Webhooks.Ingress.Tests;

/// <summary>
/// How this project starts an ingress: one for a whole test class, with a sender's client and the admin API. A class
/// changes its settings in <see cref="Configure"/> and asks for a real Kestrel listener with <see cref="OnKestrel"/>; a
/// test that needs an ingress of its own (a replica, another database or vhost) starts it with <see cref="StartAsync"/>.
/// </summary>
public abstract class IngressFixture
{
    protected IngressApplication App { get; private set; } = null!;

    /// <summary>A sender's client: no admin key.</summary>
    protected HttpClient Client { get; private set; } = null!;

    /// <summary>The admin API, with the key.</summary>
    protected AdminClient Admin { get; private set; } = null!;

    /// <summary>The ingress's clock, which the tests move, when the class asks for it with <see cref="OnFakeClock"/>.</summary>
    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Where the ingress listens, when it runs <see cref="OnKestrel"/>.</summary>
    protected IReadOnlyList<Uri> Addresses { get; private set; } = [];

    /// <summary>This class's settings and services (<c>UseSetting</c>, <c>ConfigureTestServices</c>).</summary>
    protected virtual void Configure(IWebHostBuilder web)
    {
    }

    /// <summary>On a real Kestrel listener, for what TestServer cannot show (raw sockets, listeners, limits).</summary>
    protected virtual bool OnKestrel => false;

    /// <summary>On <see cref="Clock"/> instead of the system's (handshake windows, signature ages).</summary>
    protected virtual bool OnFakeClock => false;

    /// <summary>The Kestrel listeners (the <c>urls</c> setting) when the class chooses them; any loopback port otherwise.</summary>
    protected virtual string? Urls => null;

    [OneTimeSetUp]
    public async Task Start_the_ingress()
    {
        App = new IngressApplication(configure: web =>
        {
            if (Urls is { } urls)
            {
                web.UseSetting("urls", urls);
            }
            if (OnFakeClock)
            {
                web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
            }
            Configure(web);
        });
        if (OnKestrel || Urls is not null)
        {
            Addresses = await App.StartOnKestrelAsync(anyPort: Urls is null);
        }
        else
        {
            await App.StartAsync();
        }
        Client = App.CreateClient();
        Admin = new AdminClient(App.CreateAdminClient());
    }

    [OneTimeTearDown]
    public async Task Stop_the_ingress()
    {
        Client?.Dispose();
        Admin?.Http.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>An ingress of one test's own, started as the fixture's is; the test disposes it.</summary>
    public static async Task<IngressApplication> StartAsync(Action<IWebHostBuilder>? configure = null, string? connectionString = null, string? virtualHost = null)
    {
        var app = new IngressApplication(virtualHost, configure, connectionString);
        await app.StartAsync();
        return app;
    }
}
