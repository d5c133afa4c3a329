using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Commands;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>
/// A worker and an ingress on a vhost of their own, so the error queue holds exactly what the test put there, plus the
/// operator commands run in-process against that vhost and the run's database. The ingress is there for its outbox
/// relay (every replay is sent by it) and its admin API.
/// </summary>
public sealed class DeadLetterScenario : IAsyncDisposable
{

    private bool _ingressStopped;

    private DeadLetterScenario(TestVirtualHost vhost, WorkerApplication worker, AdminIngress ingress)
    {
        VirtualHost = vhost;
        Worker = worker;
        Ingress = ingress;
    }

    public TestVirtualHost VirtualHost { get; }
    public WorkerApplication Worker { get; }
    public AdminIngress Ingress { get; }

    /// <summary>Stops the scenario's ingress, so nothing sends what is put back in the outbox (or so a test starts its own).</summary>
    public async Task StopIngressAsync()
    {
        if (!_ingressStopped)
        {
            _ingressStopped = true;
            await Ingress.DisposeAsync();
        }
    }

    public static string ErrorQueue => QueueNames.ErrorQueueFor(Provider.Jira);
    public static string MainQueue => QueueNames.For(Provider.Jira);

    public static async Task<DeadLetterScenario> StartAsync()
    {
        var vhost = await TestVirtualHost.CreateAsync("deadletters");
        var worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={vhost.Name}");
        // Without a sweep: the tests store deliveries through the run's admin API (WorkerScenario.StoreDeliveryAsync).
        var ingress = await AdminIngress.StartNewAsync(settings: new Dictionary<string, string?> { ["RabbitMqTransport:VHost"] = vhost.Name }, sweeps: false);
        return new DeadLetterScenario(vhost, worker, ingress);
    }

    /// <summary>
    /// Runs <c>Webhooks.Workers &lt;args&gt;</c> in-process with this scenario's configuration: the worker's role and broker
    /// user, as an operator running the tool in a worker pod does.
    /// </summary>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] args) => await RunAsync(null, args);

    public async Task<(int ExitCode, string Output)> RunAsync(TextReader? confirm, params string[] args)
    {
        using var output = new StringWriter();
        var exitCode = await WorkerCommands.RunAsync([.. args, .. ConfigurationArguments()], output, output, confirm);
        return (exitCode, output.ToString());
    }

    public string[] ConfigurationArguments() =>
    [
        $"--ConnectionStrings:Webhooks={WorkerApplication.WorkerConnectionString}",
        $"--RabbitMqTransport:Host={TestServices.RabbitHost}",
        $"--RabbitMqTransport:Port={TestServices.RabbitPort}",
        $"--RabbitMqTransport:VHost={VirtualHost.Name}",
        $"--RabbitMqTransport:User={TestServices.WorkerBrokerUser.Name}",
        $"--RabbitMqTransport:Pass={TestServices.WorkerBrokerUser.Password}",
    ];

    /// <summary>Every attempt of the delivery fails (a transient database error) until <see cref="RemoveFaultAsync"/>.</summary>
    public async Task<Delivery> DeadLetterAsync(Integration integration, byte[] body)
    {
        var delivery = await StoreDeliveryAsync(integration, body);
        await FailureInjection.FailAttemptsAsync(delivery.Id, int.MaxValue);
        var before = await CountAsync(ErrorQueue);
        await Worker.SendAsync(delivery);
        var outcome = await WaitForOutcomeAsync(delivery.Id);
        Assert.That(outcome.Status, Is.EqualTo(DeliveryStatus.DeadLettered), outcome.LastError);
        await WaitForCountAsync(ErrorQueue, before + 1);
        return outcome;
    }

    /// <summary>A message whose delivery does not exist: not retried, straight to the error queue (PermanentDeliveryException).</summary>
    public Task<Guid> SendOrphanAsync(Integration integration) => SendOrphanAsync(integration.Id);

    public async Task<Guid> SendOrphanAsync(Guid integrationId)
    {
        var before = await CountAsync(ErrorQueue);
        var orphan = new Delivery { Id = Guid.CreateVersion7(), IntegrationId = integrationId, Provider = Provider.Jira, ReceivedAt = DateTimeOffset.UtcNow };
        await Worker.SendAsync(orphan);
        await WaitForCountAsync(ErrorQueue, before + 1);
        return orphan.Id;
    }

    public static async Task RemoveFaultAsync(Delivery delivery)
    {
        await using var db = NewContext();
        await db.Database.ExecuteSqlAsync($"DELETE FROM test_injected_faults WHERE delivery_id = {delivery.Id}");
    }

    /// <summary>Ready messages in a queue of this vhost, straight from the broker (no management-API lag); 0 if it does not exist.</summary>
    public async Task<uint> CountAsync(string queue)
    {
        try
        {
            return await TestBroker.CountAsync(VirtualHost.Name, queue);
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    public Task WaitForCountAsync(string queue, uint expected) =>
        Eventually.GetAsync($"{expected} messages in {queue}", () => CountAsync(queue), count => count == expected);

    public async ValueTask DisposeAsync()
    {
        await StopIngressAsync();
        await Worker.DisposeAsync();
        await VirtualHost.DisposeAsync();
    }
}
