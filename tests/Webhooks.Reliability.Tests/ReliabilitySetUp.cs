namespace Webhooks.Reliability.Tests;

/// <summary>Starts the dedicated fault instances once per run (creating them the first time) and stops them at the end.</summary>
[SetUpFixture]
public sealed class ReliabilitySetUp
{
    [OneTimeSetUp]
    public async Task StartInstances() => await FaultInstances.StartAsync();

    [OneTimeTearDown]
    public async Task StopInstances() => await FaultInstances.ShutdownAsync();
}
