namespace Webhooks.Workers.Commands;

public enum WorkerVerb
{
    /// <summary>No verb: consume the configured providers' queues until stopped.</summary>
    Run,
    /// <summary><c>migrate</c>: apply the EF Core migrations to ConnectionStrings:Webhooks and exit.</summary>
    Migrate,
    /// <summary><c>deploy-topology</c>: declare every provider's exchange and quorum queue without consuming, and exit.</summary>
    DeployTopology,
    /// <summary><c>dead-letters list|show|replay|purge</c>: the providers' error queues (<see cref="OperatorCommandLine"/>).</summary>
    DeadLetters,
    /// <summary><c>deliveries replay</c>: process stored deliveries again from PostgreSQL (<see cref="OperatorCommandLine"/>).</summary>
    Deliveries,
    /// <summary><c>key-ring rewrap</c>: re-encrypt the Data Protection key ring with the current certificate (<see cref="KeyRingCommand"/>).</summary>
    KeyRing,
    /// <summary><c>help</c>, <c>--help</c> or an unknown verb.</summary>
    Help,
}
