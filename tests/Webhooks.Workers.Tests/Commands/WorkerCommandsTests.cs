using System.CommandLine;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Workers.Commands;

namespace Webhooks.Workers.Tests.Commands;

/// <summary>
/// The worker program's one command line, without services: help at every level, usage errors, and configuration read
/// as the host reads it.
/// </summary>
[NonParallelizable]
public sealed class WorkerCommandsTests
{
    /// <summary>Every command of the tree, as the words an operator types (the root is the empty path).</summary>
    private static IEnumerable<string[]> EveryCommand()
    {
        var root = WorkerCommands.Root(new CommandEnvironment([], TextWriter.Null, TextWriter.Null, null));
        var paths = new List<string[]>();
        Walk(root, []);
        return paths;

        void Walk(Command command, string[] path)
        {
            paths.Add(path);
            foreach (var child in command.Subcommands)
            {
                Walk(child, [.. path, child.Name]);
            }
        }
    }

    [Test]
    public void The_tree_has_every_verb_and_sub_command()
    {
        Assert.That(EveryCommand().Select(p => string.Join(' ', p)), Is.SupersetOf(new[]
        {
            "", "run", "migrate", "deploy-topology", "key-ring", "key-ring rewrap", "dead-letters", "dead-letters list", "dead-letters show", "dead-letters replay",
            "dead-letters purge", "deliveries", "deliveries replay", "deliveries progress",
        }));
    }

    [TestCaseSource(nameof(EveryCommand))]
    public async Task Help_works_at_every_level_and_exits_0(string[] path)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            using var output = new StringWriter();

            var exitCode = await WorkerCommands.RunAsync([.. path, help], output);

            Assert.That(exitCode, Is.Zero, output.ToString());
            Assert.That(output.ToString(), Does.Contain("Usage:").And.Contain($"  Webhooks.Workers {string.Join(' ', path)}".TrimEnd() + " "));
        }
    }

    [Test]
    public async Task Root_help_names_every_verb_and_the_configuration_keys()
    {
        using var output = new StringWriter();

        await WorkerCommands.RunAsync(["--help"], output);

        Assert.That(output.ToString(), Does.Contain("migrate").And.Contain("deploy-topology").And.Contain("dead-letters").And.Contain("deliveries")
            .And.Contain("RabbitMqTransport:{Host,Port,VHost,User,Pass}").And.Contain("ConnectionStrings:Webhooks"));
    }

    [TestCase(new[] { "replay-everything" }, "Webhooks.Workers --help")]
    [TestCase(new[] { "--no-such-option" }, "Webhooks.Workers --help")]
    [TestCase(new[] { "dead-letters" }, "Webhooks.Workers dead-letters --help")]
    [TestCase(new[] { "dead-letters", "lisst" }, "Webhooks.Workers dead-letters --help")]
    [TestCase(new[] { "dead-letters", "list", "--no-such-option" }, "Webhooks.Workers dead-letters list --help")]
    [TestCase(new[] { "dead-letters", "list", "--provider", "jora" }, "Webhooks.Workers dead-letters list --help")]
    [TestCase(new[] { "dead-letters", "replay" }, "Webhooks.Workers dead-letters replay --help")]
    [TestCase(new[] { "deliveries", "replay" }, "Webhooks.Workers deliveries replay --help")]
    [TestCase(new[] { "deliveries", "replay", "--id", "not-a-guid" }, "Webhooks.Workers deliveries replay --help")]
    [TestCase(new[] { "deliveries", "replay", "--status", "rejected" }, "Webhooks.Workers deliveries replay --help")]
    [TestCase(new[] { "deliveries", "progress" }, "Webhooks.Workers deliveries progress --help")]
    [TestCase(new[] { "migrate", "now" }, "Webhooks.Workers migrate --help")]
    [TestCase(new[] { "key-ring" }, "Webhooks.Workers key-ring --help")]
    [TestCase(new[] { "key-ring", "rewrap", "--yes" }, "Webhooks.Workers key-ring rewrap --help")]
    public async Task Unknown_verbs_options_and_values_exit_2_pointing_at_the_right_help(string[] args, string hint)
    {
        using var output = new StringWriter();

        // No database or broker is configured: every one of these must be refused before anything is reached.
        var exitCode = await WorkerCommands.RunAsync([.. args, "--ConnectionStrings:Webhooks=Host=127.0.0.1;Port=1"], output);

        Assert.That(exitCode, Is.EqualTo(2), output.ToString());
        Assert.That(output.ToString(), Does.Contain($"Run `{hint}` for the usage."));
    }

    [Test]
    public void Verbs_bind_the_broker_exactly_as_the_host_does()
    {
        string[] arguments =
        [
            "--RabbitMqTransport:Host=broker.example.test", "--RabbitMqTransport:Port=5679", "--RabbitMqTransport:VHost=ops",
            "--RabbitMqTransport:User=operator", "--RabbitMqTransport:Pass=secret", "--RabbitMqTransport:UseSsl=true",
        ];

        var host = HostBroker(arguments);
        var verb = new CommandEnvironment(arguments, TextWriter.Null, TextWriter.Null, null).BrokerOptions();

        Assert.That((verb.Host, verb.Port, verb.VHost, verb.User, verb.Pass, verb.UseSsl), Is.EqualTo((host.Host, host.Port, host.VHost, host.User, host.Pass, host.UseSsl)));
        Assert.That((verb.Host, verb.Port, verb.VHost, verb.User, verb.UseSsl), Is.EqualTo(("broker.example.test", (ushort)5679, "ops", "operator", true)));
    }

    [Test]
    public void Verbs_read_the_environment_as_the_host_does_and_arguments_win_over_it()
    {
        const string Variable = "RabbitMqTransport__VHost";
        var before = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, "from-environment");
        try
        {
            Assert.That(new CommandEnvironment([], TextWriter.Null, TextWriter.Null, null).BrokerOptions().VHost, Is.EqualTo("from-environment"));
            Assert.That(HostBroker([]).VHost, Is.EqualTo("from-environment"));
            string[] overridden = ["--RabbitMqTransport:VHost=from-argument"];
            Assert.That(new CommandEnvironment(overridden, TextWriter.Null, TextWriter.Null, null).BrokerOptions().VHost, Is.EqualTo("from-argument"));
            Assert.That(HostBroker(overridden).VHost, Is.EqualTo("from-argument"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, before);
        }
    }

    [TestCase("deliveries", "replay", "--status", "failed")]
    [TestCase("migrate")]
    [TestCase("key-ring", "rewrap")]
    public async Task A_verb_without_a_connection_string_fails_naming_the_setting(params string[] verb)
    {
        using var output = new StringWriter();
        var before = Environment.GetEnvironmentVariable("ConnectionStrings__Webhooks");
        Environment.SetEnvironmentVariable("ConnectionStrings__Webhooks", null);
        try
        {
            var exitCode = await WorkerCommands.RunAsync(verb, output);

            Assert.That(exitCode, Is.EqualTo(1), output.ToString());
            Assert.That(output.ToString(), Does.Contain("ConnectionStrings__Webhooks"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ConnectionStrings__Webhooks", before);
        }
    }

    /// <summary>What the worker host binds, from its own builder (the bus itself is not made).</summary>
    private static RabbitMqTransportOptions HostBroker(string[] arguments)
    {
        using var services = WorkerHost.CreateBuilder([.. arguments, "--ConnectionStrings:Webhooks=Host=127.0.0.1", $"--DataProtection:CertificatePath={Testing.TestCertificates.KeyRingPath}"]).Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value;
    }
}
