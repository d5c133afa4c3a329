using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Ingress.Outbox;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Testing;

/// <summary>
/// The ingress program in-process on a test's database and vhost, configured from <see cref="Settings"/> plus what a
/// test changes. Its entry type is named through <see cref="IngressTelemetry"/>: the projects that reference both
/// programs see two top-level <c>Program</c> types.
/// </summary>
public class TestIngress(IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure = null)
    : WebApplicationFactory<IngressTelemetry>
{
    public const string PublicBaseUrl = "https://webhooks.example.test";

    /// <summary>
    /// As deploy/run.sh runs it: the webhook path on the ingress's role and broker user, the admin API as the owner
    /// (it reads the error queues as a user of its own), the key ring encrypted with the test certificate, and an outbox
    /// relay that sweeps and backs off in fractions of a second.
    /// </summary>
    public static Dictionary<string, string?> Settings(string connectionString, string virtualHost, string adminKey) => new()
    {
        ["ConnectionStrings:Webhooks"] = TestServices.ConnectionAs(connectionString, TestServices.IngressRole),
        ["ConnectionStrings:Admin"] = connectionString,
        ["RabbitMqTransport:Host"] = TestServices.RabbitHost,
        ["RabbitMqTransport:Port"] = TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture),
        ["RabbitMqTransport:VHost"] = virtualHost,
        ["RabbitMqTransport:User"] = TestServices.IngressBrokerUser.Name,
        ["RabbitMqTransport:Pass"] = TestServices.IngressBrokerUser.Password,
        ["DeadLetters:User"] = TestServices.OperatorBrokerUser.Name,
        ["DeadLetters:Pass"] = TestServices.OperatorBrokerUser.Password,
        ["DataProtection:CertificatePath"] = TestCertificates.KeyRingPath,
        ["Ingress:AdminKey"] = adminKey,
        ["Ingress:PublicBaseUrl"] = PublicBaseUrl,
        ["Outbox:SweepInterval"] = "00:00:00.500",
        ["Outbox:MinBackoff"] = "00:00:00.200",
        ["Outbox:MaxBackoff"] = "00:00:01",
        ["Outbox:SendTimeout"] = "00:00:02",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        configure?.Invoke(builder);
    }

    /// <summary>A client with the admin key.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.GetValueOrDefault("Ingress:AdminKey"));
        return client;
    }

    /// <summary>Starts the ingress and waits until its token directory has loaded, so the first webhook is not answered 503.</summary>
    public Task StartAsync()
    {
        var integrationsByToken = Services.GetRequiredService<IntegrationsByToken>();
        return Eventually.HoldsAsync("the ingress's integration directory to load", () => integrationsByToken.IsLoaded);
    }

    /// <summary>
    /// Starts the ingress on a real Kestrel listener (any loopback port, or where its <c>urls</c> setting says), waits
    /// for its directory, and returns the addresses it listens on.
    /// </summary>
    public async Task<IReadOnlyList<Uri>> StartOnKestrelAsync(bool anyPort = true)
    {
        if (anyPort)
        {
            UseKestrel(0);
        }
        else
        {
            UseKestrel();
        }
        StartServer();
        await StartAsync();
        return [.. Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a))];
    }

    /// <summary>Waits until the outbox relay listens for replays' notifications (it sweeps once when it starts listening).</summary>
    public Task WaitUntilListeningAsync()
    {
        var listener = Services.GetRequiredService<OutboxNotificationListener>();
        return Eventually.HoldsAsync("the outbox relay to listen for notifications", () => listener.IsListening);
    }
}
