using System.CommandLine;

namespace Webhooks.Workers.Commands;

/// <summary><c>run</c> (also what no verb does): consume the providers in <c>Workers:Providers</c> until stopped.</summary>
public static class RunCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var run = new Command("run", "Consume the providers in Workers:Providers (all by default) until stopped; the default when no verb is given");
        run.SetAction((_, _) => RunAsync(environment));
        return run;
    }

    public static async Task<int> RunAsync(CommandEnvironment environment)
    {
        await using var app = WorkerHost.Build(environment.ConfigurationArguments);
        await app.RunAsync();
        return WorkerCommands.Ok;
    }
}
