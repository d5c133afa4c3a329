using Webhooks.Workers;
using Webhooks.Workers.Commands;

// The verb picks what this process does; WorkerHost.Build is the composition (one AddXyz per capability).
var command = WorkerCommandLine.Parse(args);
switch (command.Verb)
{
    case WorkerVerb.Migrate:
        return await MigrateCommand.RunAsync(command.HostArguments, Console.Out);
    case WorkerVerb.DeployTopology:
        return await DeployTopologyCommand.RunAsync(command.HostArguments, Console.Out);
    case WorkerVerb.KeyRing:
        return await KeyRingCommand.RunAsync(command.HostArguments, Console.Out, Console.Error);
    case WorkerVerb.DeadLetters or WorkerVerb.Deliveries:
        return await OperatorCommandLine.RunAsync(args, Console.Out, Console.Error);
    case WorkerVerb.Help:
        await Console.Error.WriteLineAsync(command.UnknownVerb is null ? WorkerCommandLine.Usage : $"Unknown verb '{command.UnknownVerb}'.\n{WorkerCommandLine.Usage}");
        return command.UnknownVerb is null ? 0 : 2;
    default:
        await using (var app = WorkerHost.Build(command.HostArguments))
        {
            await app.RunAsync();
        }
        return 0;
}
