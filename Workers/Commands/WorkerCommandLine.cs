namespace Webhooks.Workers.Commands;

/// <summary>
/// <c>Webhooks.Workers [verb] [--Section:Key=value …]</c>. The verb is the first argument when it does not start
/// with a dash; every other argument is host configuration. The operator verbs (<c>dead-letters</c>, <c>deliveries</c>)
/// have sub-commands and options of their own: <see cref="OperatorCommandLine"/> parses them.
/// </summary>
public sealed record WorkerCommandLine(WorkerVerb Verb, string[] HostArguments, string? UnknownVerb = null)
{
    public const string Usage = """
        Usage: Webhooks.Workers [verb] [--Section:Key=value ...]
          (no verb)         consume the providers in Workers:Providers (all by default) until stopped
          migrate           apply the database migrations to ConnectionStrings:Webhooks (the owner), then exit; with
                            DatabaseRoles:{IngressPassword,WorkerPassword} it first makes the restricted roles
          deploy-topology   declare the exchanges and quorum queues of every provider without consuming, then exit
          dead-letters      list | show <id> | replay | purge the messages in webhooks-<provider>_error (--help for options)
          deliveries        replay stored deliveries from PostgreSQL by id or filter (deliveries replay --help)
          key-ring rewrap   re-encrypt the key ring with DataProtection:CertificatePath (after a rotation; as the owner)
        Configuration: ConnectionStrings:Webhooks, RabbitMqTransport:{Host,Port,VHost,User,Pass}, DataProtection:CertificatePath,
          Workers:{Providers,ConcurrentMessageLimit,PrefetchCount,BatchSize,BatchConcurrency,RetryLimit,RetryMinInterval,RetryMaxInterval,HealthPort}
          (environment: ConnectionStrings__Webhooks, Workers__Providers=jira,github, ...)
        """;

    public static WorkerCommandLine Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            return args is ["--help" or "-h", ..] ? new(WorkerVerb.Help, []) : new(WorkerVerb.Run, args);
        }
        var rest = args[1..];
        return args[0] switch
        {
            "migrate" => new(WorkerVerb.Migrate, rest),
            "deploy-topology" => new(WorkerVerb.DeployTopology, rest),
            "dead-letters" => new(WorkerVerb.DeadLetters, rest),
            "deliveries" => new(WorkerVerb.Deliveries, rest),
            "key-ring" => new(WorkerVerb.KeyRing, rest),
            "help" => new(WorkerVerb.Help, rest),
            var unknown => new(WorkerVerb.Help, rest, unknown),
        };
    }
}
