using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Ingress.Outbox;

namespace Webhooks.Workers.Tests;

/// <summary>
/// The ingress program in-process on the run's database and vhost, for what an operator and a sender do: integrations,
/// settings and API tokens are made through its admin API (<see cref="Admin"/>), and deliveries arrive as the sender's
/// own HTTP request (the outbox relay then sends them to the workers).
/// </summary>
public sealed class AdminIngress(IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure = null)
    : TestIngress(settings, configure)
{
    public const string AdminKey = "workers-tests-admin-key-0123456789";

    /// <summary>The fake provider APIs listen on loopback: both the admin API and the workers must allow them.</summary>
    public const string LoopbackApis = "http://127.0.0.1:";

    /// <summary>How long a relay started with <c>sweeps: false</c> waits for its sweep: longer than any test.</summary>
    private const string NoSweep = "00:10:00";

    /// <summary>The ingresses alive now whose relay sweeps the run's database (see <see cref="SweepingCount"/>).</summary>
    private static int s_sweeping;

    private HttpClient _senders = null!;

    private bool _countedAsSweeping;

    /// <summary>
    /// How many ingresses are alive now whose outbox relay sweeps: every sweep claims and sends every outbox row of the run's
    /// database, so <see cref="WorkerScenario.StoreDeliveryAsync(CreatedIntegration, byte[], IReadOnlyDictionary{string, string}, string)"/>
    /// refuses to run while there is one rather than race it.
    /// </summary>
    public static int SweepingCount => Volatile.Read(ref s_sweeping);

    /// <summary>The admin API, with the key.</summary>
    public AdminClient Admin { get; private set; } = null!;

    /// <summary>
    /// Starts the ingress (allowing loopback provider APIs unless told otherwise, with any further <paramref name="settings"/>,
    /// e.g. a vhost of the test's own, and services changed by <paramref name="configure"/>) and waits for its directory.
    /// With <paramref name="sweeps"/> false its relay runs only when woken (a webhook posted to it, a replay, a worker's
    /// hand-back, its own start), never on a sweep, so tests that store deliveries through the run's admin API for
    /// themselves can run while it is alive.
    /// </summary>
    public static async Task<AdminIngress> StartNewAsync(string? allowedBaseUrls = LoopbackApis, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IWebHostBuilder>? configure = null, bool sweeps = true)
    {
        var all = Settings(WorkersSetUp.Database.ConnectionString, WorkersSetUp.VirtualHost.Name, AdminKey);
        all["Fetching:AllowedBaseUrls"] = allowedBaseUrls;
        all["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        if (!sweeps)
        {
            all["Outbox:SweepInterval"] = NoSweep;
        }
        var ingress = new AdminIngress(all, configure);
        if (sweeps)
        {
            // Counted before it starts: its first sweep may come before StartAsync returns.
            ingress._countedAsSweeping = true;
            Interlocked.Increment(ref s_sweeping);
        }
        try
        {
            await ingress.StartAsync();
        }
        catch
        {
            await ingress.DisposeAsync();
            throw;
        }
        ingress.Admin = new AdminClient(ingress.CreateAdminClient());
        ingress._senders = ingress.CreateClient();
        return ingress;
    }

    /// <summary>
    /// The admin API alone, for the run's whole length (<see cref="WorkerScenario"/> arranges its accounts through it):
    /// without the outbox relay, which would otherwise sweep up and send the deliveries other tests post to ingresses
    /// of their own, on vhosts of their own or to a broker they stop on purpose.
    /// </summary>
    public static Task<AdminIngress> StartWithoutRelayAsync() =>
        StartNewAsync(configure: web => web.ConfigureTestServices(RemoveOutboxRelay), sweeps: false);

    private static void RemoveOutboxRelay(IServiceCollection services)
    {
        // Both are registered as hosted services by factories declared in OutboxExtensions (the singletons stay: the
        // webhook path still signals the relay, which then never runs).
        var relay = services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationFactory?.Method.DeclaringType?.DeclaringType == typeof(OutboxExtensions)).ToList();
        if (relay.Count != 2)
        {
            throw new InvalidOperationException($"Expected the outbox relay and its listener among the hosted services, found {relay.Count}.");
        }
        foreach (var descriptor in relay)
        {
            services.Remove(descriptor);
        }
    }

    /// <summary>
    /// What a sender does: POSTs <paramref name="body"/> to the callback URL with its own headers and content type;
    /// returns the delivery id of the 200 answer.
    /// </summary>
    public async Task<Guid> PostWebhookAsync(CreatedIntegration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null,
        string contentType = "application/json")
    {
        var (status, text) = await SendWebhookAsync(integration, body, headers, contentType);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        // Salesforce is answered with its SOAP acknowledgement, which names no delivery: the one just stored is the
        // integration's newest (its callers post one at a time).
        return text.Contains("<Ack>true</Ack>", StringComparison.Ordinal)
            ? await Admin.NewestDeliveryAsync(integration.Id)
            : JsonDocument.Parse(text).RootElement.GetProperty("deliveryId").GetGuid();
    }

    public async Task<(HttpStatusCode Status, string Body)> SendWebhookAsync(CreatedIntegration integration, byte[] body, IReadOnlyDictionary<string, string>? headers = null,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/webhooks/{integration.Token}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await _senders.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Asana's handshake when a webhook is created: <c>X-Hook-Secret</c> on an empty POST, echoed and kept.</summary>
    public async Task AsanaHandshakeAsync(CreatedIntegration integration, string secret)
    {
        var (status, text) = await SendWebhookAsync(integration, [], new Dictionary<string, string> { ["X-Hook-Secret"] = secret });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
    }

    public override async ValueTask DisposeAsync()
    {
        Admin?.Http.Dispose();
        _senders?.Dispose();
        await base.DisposeAsync();
        if (_countedAsSweeping)
        {
            _countedAsSweeping = false;
            Interlocked.Decrement(ref s_sweeping);
        }
    }
}
