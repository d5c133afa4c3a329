using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>Per test: a worker on a vhost of its own (<see cref="DeadLetterScenario"/>) and one Jira-linked record.</summary>
public abstract class WorkerWithLinkedRecord
{
    protected DeadLetterScenario Broker { get; private set; } = null!;

    protected WorkerScenario Scenario { get; private set; } = null!;

    protected Integration Integration { get; private set; } = null!;

    protected Record Record { get; private set; } = null!;

    [SetUp]
    public async Task A_worker_of_its_own_and_a_linked_record()
    {
        Broker = await DeadLetterScenario.StartAsync();
        Scenario = await CreateAsync();
        var product = await Scenario.CreateProductAsync("P");
        Integration = await Scenario.CreateIntegrationAsync(product, await Scenario.CreateWriterAsync("Runner", product));
        Record = await Scenario.CreateLinkedRecordAsync(product, Integration);
    }

    [TearDown]
    public async Task Stop_the_worker() => await Broker.DisposeAsync();
}
