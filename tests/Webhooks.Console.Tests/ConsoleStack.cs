using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;
using Webhooks.Testing;
using Webhooks.Workers;
using Webhooks.Workers.Health;

namespace Webhooks.Console.Tests;

/// <summary>
/// The real stack the console runs in: the ingress on Kestrel with a public listener and an admin listener
/// (<c>Ingress:AdminPort</c>), a worker consuming through RabbitMQ, both on the run's PostgreSQL database and vhost.
/// The browser reaches the console on the admin port as an operator would.
/// </summary>
public sealed class ConsoleStack : IAsyncDisposable
{
    public const string AdminKey = "console-tests-admin-key-0123456789abcdef";

    private readonly WebApplication _topology;
    private readonly WebApplication _worker;
    private readonly IngressOnKestrel _ingress;

    private ConsoleStack(WebApplication topology, WebApplication worker, IngressOnKestrel ingress, int publicPort, int adminPort)
    {
        _topology = topology;
        _worker = worker;
        _ingress = ingress;
        PublicUrl = $"http://127.0.0.1:{publicPort}";
        AdminUrl = $"http://127.0.0.1:{adminPort}";
        Admin = new HttpClient { BaseAddress = new Uri(AdminUrl) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        Senders = new HttpClient { BaseAddress = new Uri(PublicUrl) };
    }

    /// <summary>Where senders post: the public listener.</summary>
    public string PublicUrl { get; }

    /// <summary>The internal listener serving the admin API and the console.</summary>
    public string AdminUrl { get; }

    public string ConsoleUrl => AdminUrl + "/console";

    /// <summary>The admin API with the key, on the admin listener.</summary>
    public HttpClient Admin { get; }

    /// <summary>A sender's client: the public listener, no key.</summary>
    public HttpClient Senders { get; }

    public IServiceProvider IngressServices => _ingress.Services;

    public static async Task<ConsoleStack> StartAsync(string connectionString, string virtualHost)
    {
        var topology = WorkerHost.Build(WorkerArguments(connectionString, virtualHost), deployTopologyOnly: true);
        await topology.Services.GetRequiredService<IBusControl>().DeployAsync();
        var worker = WorkerHost.Build(WorkerArguments(connectionString, virtualHost));
        await worker.StartAsync();
        await WaitUntilReadyAsync(worker);

        var publicPort = FreePort();
        var adminPort = FreePort();
        var ingress = new IngressOnKestrel(connectionString, virtualHost, publicPort, adminPort);
        ingress.UseKestrel();
        ingress.StartServer();
        var integrationsByToken = ingress.Services.GetRequiredService<IntegrationsByToken>();
        await Poll.UntilAsync(() => integrationsByToken.IsLoaded, TimeSpan.FromSeconds(30), "the ingress's integration directory to load");
        return new ConsoleStack(topology, worker, ingress, publicPort, adminPort);
    }

    private static string[] WorkerArguments(string connectionString, string virtualHost) =>
    [
        // As deploy/run.sh runs it: the worker's own database role and broker user.
        $"--ConnectionStrings:Webhooks={TestServices.ConnectionAs(connectionString, TestServices.WorkerRole)}",
        $"--RabbitMqTransport:Host={TestServices.RabbitHost}",
        $"--RabbitMqTransport:Port={TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture)}",
        $"--RabbitMqTransport:VHost={virtualHost}",
        $"--RabbitMqTransport:User={TestServices.WorkerBrokerUser.Name}",
        $"--RabbitMqTransport:Pass={TestServices.WorkerBrokerUser.Password}",
        $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}",
        "--Workers:HealthPort=0",
        "--Workers:RetryLimit=2",
        "--Workers:RetryMinInterval=00:00:00.050",
        "--Workers:RetryMaxInterval=00:00:00.200",
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Microsoft.EntityFrameworkCore=None",
        "--Logging:LogLevel:MassTransit=Critical",
    ];

    private static async Task WaitUntilReadyAsync(WebApplication worker)
    {
        var health = worker.Services.GetRequiredService<HealthCheckService>();
        await Poll.UntilAsync(
            async () => (await health.CheckHealthAsync(check => check.Tags.Contains(HealthExtensions.ReadyTag))).Status == HealthStatus.Healthy,
            TimeSpan.FromSeconds(30), "the worker to be ready");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Senders.Dispose();
        await _ingress.DisposeAsync();
        await _worker.StopAsync();
        await _worker.DisposeAsync();
        await _topology.DisposeAsync();
    }

    /// <summary>The ingress program with both listeners; its entry type is named through a type of its assembly (both programs define <c>Program</c>).</summary>
    private sealed class IngressOnKestrel(string connectionString, string virtualHost, int publicPort, int adminPort) : WebApplicationFactory<IngressTelemetry>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("urls", $"http://127.0.0.1:{publicPort};http://127.0.0.1:{adminPort}");
            builder.UseSetting("Ingress:AdminPort", adminPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Ingress:AdminKey", AdminKey);
            builder.UseSetting("Ingress:PublicBaseUrl", $"http://127.0.0.1:{publicPort}");
            // As deploy/run.sh runs it: the webhook path on the ingress role and broker user, the admin API and console as the owner.
            builder.UseSetting("ConnectionStrings:Webhooks", TestServices.ConnectionAs(connectionString, TestServices.IngressRole));
            builder.UseSetting("ConnectionStrings:Admin", connectionString);
            builder.UseSetting("RabbitMqTransport:Host", TestServices.RabbitHost);
            builder.UseSetting("RabbitMqTransport:Port", TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("RabbitMqTransport:VHost", virtualHost);
            builder.UseSetting("RabbitMqTransport:User", TestServices.IngressBrokerUser.Name);
            builder.UseSetting("RabbitMqTransport:Pass", TestServices.IngressBrokerUser.Password);
            builder.UseSetting("DeadLetters:User", TestServices.OperatorBrokerUser.Name);
            builder.UseSetting("DeadLetters:Pass", TestServices.OperatorBrokerUser.Password);
            builder.UseSetting("DataProtection:CertificatePath", TestCertificates.KeyRingPath);
            // The overview's queue numbers: the management API with an operator's credential (the ingress's user may not read queues).
            builder.UseSetting("Console:RabbitMqManagementUrl", $"http://{TestServices.RabbitHost}:{TestServices.RabbitManagementPort}");
            builder.UseSetting("Console:RabbitMqManagementUser", TestServices.RabbitUser);
            builder.UseSetting("Console:RabbitMqManagementPassword", TestServices.RabbitPassword);
            // Every test signs in from 127.0.0.1: the wrong-key tests must not lock the others out (the limit has its own test).
            builder.UseSetting("Console:SignInFailureLimit", "1000");
            builder.UseSetting("Console:RefreshSeconds", "1");
            builder.UseSetting("Outbox:SweepInterval", "00:00:00.500");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:MassTransit", "Critical");
        }
    }
}
