using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
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
    private readonly TestIngress _ingress;

    private ConsoleStack(WebApplication topology, WebApplication worker, TestIngress ingress, int publicPort, int adminPort)
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
        var topology = WorkerHost.Build(TestWorker.Arguments(connectionString, virtualHost), deployTopologyOnly: true);
        await topology.Services.GetRequiredService<IBusControl>().DeployAsync();
        var worker = WorkerHost.Build(TestWorker.Arguments(connectionString, virtualHost));
        await worker.StartAsync();
        await TestWorker.WaitUntilReadyAsync(worker.Services, HealthExtensions.ReadyTag);

        var publicPort = FreePort();
        var adminPort = FreePort();
        var ingress = new TestIngress(IngressSettings(connectionString, virtualHost, publicPort, adminPort));
        await ingress.StartOnKestrelAsync(anyPort: false);
        return new ConsoleStack(topology, worker, ingress, publicPort, adminPort);
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

    /// <summary>
    /// The tests' ingress (<see cref="TestIngress.Settings"/>: the webhook path on the ingress's role and broker user, the
    /// admin API and console as the owner) on Kestrel with both listeners, the console's overview reading queues through
    /// the management API.
    /// </summary>
    private static Dictionary<string, string?> IngressSettings(string connectionString, string virtualHost, int publicPort, int adminPort)
    {
        var settings = TestIngress.Settings(connectionString, virtualHost, AdminKey);
        settings["urls"] = $"http://127.0.0.1:{publicPort};http://127.0.0.1:{adminPort}";
        settings["Ingress:AdminPort"] = adminPort.ToString(CultureInfo.InvariantCulture);
        settings["Ingress:PublicBaseUrl"] = $"http://127.0.0.1:{publicPort}";
        // The overview's queue numbers: the management API as deploy/run.sh reads it, with the monitoring user start.sh makes.
        settings["Console:RabbitMqManagementUrl"] = $"http://{TestServices.RabbitHost}:{TestServices.RabbitManagementPort}";
        settings["Console:RabbitMqManagementUser"] = TestServices.MonitoringBrokerUser.Name;
        settings["Console:RabbitMqManagementPassword"] = TestServices.MonitoringBrokerUser.Password;
        // Every test signs in from 127.0.0.1: the wrong-key tests must not lock the others out (the limit has its own test).
        settings["Console:SignInFailureLimit"] = "1000";
        settings["Console:RefreshSeconds"] = "1";
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Logging:LogLevel:MassTransit"] = "Critical";
        return settings;
    }
}
