using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Health;

namespace Webhooks.Workers.Tests;

/// <summary>
/// The real worker host (the same <see cref="WorkerHost.Build"/> as Program) started in-process against the run's
/// database and vhost, as the workers' PostgreSQL role and broker user, with short retry intervals and a free health port.
/// </summary>
public sealed class WorkerApplication : IAsyncDisposable
{
    private WorkerApplication(WebApplication app) => App = app;

    public WebApplication App { get; }

    /// <summary>The run's database as the workers' role (grants.sql): every worker test host runs with what production grants.</summary>
    public static string WorkerConnectionString => TestServices.ConnectionAs(WorkersSetUp.Database.ConnectionString, TestServices.WorkerRole);

    public static string[] Arguments(params string[] overrides) =>
        TestWorker.Arguments(WorkersSetUp.Database.ConnectionString, WorkersSetUp.VirtualHost.Name,
        [
            "--Workers:Providers=jira",
            // Retries and dead letters are provoked on purpose; their stack traces would drown the test report.
            "--Logging:LogLevel:Default=Error",
            .. overrides,
        ]);

    public static Task<WorkerApplication> StartAsync(params string[] overrides) => StartAsync(waitUntilReady: true, overrides);

    public static async Task<WorkerApplication> StartAsync(bool waitUntilReady, params string[] overrides)
    {
        var app = WorkerHost.Build(Arguments(overrides));
        await app.StartAsync();
        var worker = new WorkerApplication(app);
        if (waitUntilReady)
        {
            await worker.WaitUntilReadyAsync();
        }
        return worker;
    }

    /// <summary>The health listener's port (Workers:HealthPort=0 lets Kestrel pick one).</summary>
    public int HealthPort => new Uri(App.Urls.First().Replace("[::]", "localhost", StringComparison.Ordinal)).Port;

    /// <summary>Sends what the ingress sends: to <c>exchange:webhooks-&lt;provider&gt;</c>, MessageId = delivery id.</summary>
    public async Task SendAsync(Delivery delivery)
    {
        var bus = App.Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(QueueNames.SendAddressFor(delivery.Provider));
        await endpoint.Send(new ProcessDelivery(delivery.Id, delivery.IntegrationId, delivery.Provider, delivery.ReceivedAt), context => context.MessageId = delivery.Id);
    }

    /// <summary>Sends what the outbox relay sends for several deliveries of one provider: one <see cref="ProcessDeliveryBatch"/>.</summary>
    public async Task SendBatchAsync(Provider provider, Guid integrationId, IEnumerable<Guid> deliveryIds)
    {
        var bus = App.Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(QueueNames.SendAddressFor(provider));
        await endpoint.Send(new ProcessDeliveryBatch(provider, [.. deliveryIds.Select(id => new BatchedDelivery(id, integrationId, DateTimeOffset.UtcNow))]));
    }

    private Task WaitUntilReadyAsync() => TestWorker.WaitUntilReadyAsync(App.Services, HealthExtensions.ReadyTag);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
