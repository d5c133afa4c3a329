using System.CommandLine;
using System.Text.RegularExpressions;
using Npgsql;
using RabbitMQ.Client.Exceptions;
using Webhooks.Persistence.Operations;

namespace Webhooks.Workers.Commands;

/// <summary>
/// The worker program's one command line (System.CommandLine): <c>run</c> (the default), <c>migrate</c>,
/// <c>deploy-topology</c>, <c>key-ring rewrap</c>, <c>dead-letters …</c> and <c>deliveries …</c>; <c>--help</c> at every level. Arguments
/// shaped <c>--Section:Key=value</c> are configuration, for every verb as for the host; the rest is the command.
/// Exit codes: 0 done (and help), 1 failed (the message says what to do), 2 usage.
/// </summary>
public static partial class WorkerCommands
{
    public const string ProgramName = "Webhooks.Workers";

    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public const string Configuration = """
        Configuration (environment Section__Key, appsettings.json, or --Section:Key=value arguments, as for the host):
          ConnectionStrings:Webhooks, RabbitMqTransport:{Host,Port,VHost,User,Pass}, DataProtection:CertificatePath,
          Workers:{Providers,ConcurrentMessageLimit,PrefetchCount,BatchSize,BatchConcurrency,BatchDeliveryLimit,RetryLimit,RetryMinInterval,RetryMaxInterval,HealthPort}
        """;

    /// <param name="args">The whole command line (<c>dead-letters list --provider jira --RabbitMqTransport:VHost=ops</c>).</param>
    /// <param name="confirm">Where purge reads its y/N answer; null means the console when it is a terminal, else no answer.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter? error = null, TextReader? confirm = null, CancellationToken cancellationToken = default)
    {
        error ??= output;
        var commandArguments = args.Where(a => !ConfigurationArgument().IsMatch(a)).ToArray();
        var environment = new CommandEnvironment([.. args.Where(a => ConfigurationArgument().IsMatch(a))], output, error, confirm);

        var parsed = Root(environment).Parse(commandArguments);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }
            await error.WriteLineAsync(HelpHint(parsed));
            return Usage;
        }
        try
        {
            // No termination handling here: the host stops itself on Ctrl-C or SIGTERM (draining in-flight messages), and a
            // verb interrupted by the signal loses nothing (the broker requeues what it held; statements are atomic).
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, cancellationToken);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync(HelpHint(parsed));
            return Usage;
        }
        catch (OperationFailedException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
        catch (RabbitMQClientException e)
        {
            await error.WriteLineAsync($"error: RabbitMQ closed the connection ({e.Message}). Nothing unconfirmed was removed: the broker put back every message it had handed out. Run the command again.");
            return Failed;
        }
        catch (Exception e) when (e is NpgsqlException || e.InnerException is NpgsqlException)
        {
            await error.WriteLineAsync($"error: {environment.DatabaseUnreachable(e as NpgsqlException ?? e.InnerException!)}");
            return Failed;
        }
    }

    /// <summary>
    /// The whole tree; the root itself runs the worker, as <c>run</c> does. A plain command named for the program rather
    /// than a RootCommand, which takes the name of whatever executable hosts it (dotnet, a test runner): only its help
    /// option is wanted, and it applies to every command below.
    /// </summary>
    public static Command Root(CommandEnvironment environment)
    {
        var root = new Command(ProgramName, $"""
            Consumes the providers' queues (the default), or runs one of the verbs below and exits.
            {Configuration}
            """)
        {
            new System.CommandLine.Help.HelpOption(),
            RunCommand.Create(environment),
            MigrateCommand.Create(environment),
            DeployTopologyCommand.Create(environment),
            KeyRingCommand.Create(environment),
            DeadLettersCommand.Create(environment),
            DeliveriesCommand.Create(environment),
        };
        root.SetAction((_, _) => RunCommand.RunAsync(environment));
        return root;
    }

    /// <summary>Points at the help of the deepest command the parser recognised, never at the word it did not.</summary>
    private static string HelpHint(ParseResult parsed)
    {
        var path = new List<string> { "--help" };
        for (var command = parsed.CommandResult; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
        {
            path.Insert(0, command.Command.Name);
        }
        return $"Run `{ProgramName} {string.Join(' ', path)}` for the usage.";
    }

    // Keys may hold dots and dashes (Logging:LogLevel:Microsoft.EntityFrameworkCore); at least one colon keeps options apart.
    [GeneratedRegex(@"^--[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_.-]+)+=")]
    private static partial Regex ConfigurationArgument();
}
