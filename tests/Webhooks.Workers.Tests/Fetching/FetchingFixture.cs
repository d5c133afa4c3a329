namespace Webhooks.Workers.Tests.Fetching;

/// <summary>
/// What the senders whose deliveries name an item to fetch (Asana, Smartsheet) are tested on: the ingress for the whole
/// class, a worker for the class when it names one (<see cref="WorkerArguments"/>), and for each test a loopback fake
/// of the sender's API.
/// </summary>
public abstract class FetchingFixture
{
    /// <summary>One quick retry and a short attempt timeout: enough for a loopback fake.</summary>
    public static readonly string[] QuickFetching = ["--Fetching:RetryCount=1", "--Fetching:RetryBaseDelay=00:00:00.020", "--Fetching:AttemptTimeout=00:00:02"];

    protected AdminIngress Ingress { get; private set; } = null!;

    protected FakeProviderApi Api { get; private set; } = null!;

    /// <summary>The class's worker, when <see cref="WorkerArguments"/> names one.</summary>
    protected WorkerApplication? Worker { get; private set; }

    protected virtual string[]? WorkerArguments => null;

    [OneTimeSetUp]
    public async Task Start_the_ingress_and_the_worker()
    {
        if (WorkerArguments is { } arguments)
        {
            Worker = await WorkerApplication.StartAsync(arguments);
        }
        // Without a sweep: some tests store deliveries through the run's admin API to process them themselves
        // (WorkerScenario.StoreDeliveryAsync); what is posted to this ingress wakes its relay.
        Ingress = await AdminIngress.StartNewAsync(sweeps: false);
    }

    [OneTimeTearDown]
    public async Task Stop_them()
    {
        if (Ingress is not null)
        {
            await Ingress.DisposeAsync();
        }
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }
    }

    [SetUp]
    public async Task Start_the_fake_api() => Api = await FakeProviderApi.StartAsync();

    [TearDown]
    public async Task Stop_the_fake_api() => await Api.DisposeAsync();
}
