using Webhooks.Workers.Commands;

namespace Webhooks.Workers.Tests.DeadLetters;

/// <summary>The operator verbs on the worker's command line, without a broker: dispatch, help and usage errors.</summary>
public sealed class OperatorCommandLineTests
{
    [TestCase("dead-letters", WorkerVerb.DeadLetters)]
    [TestCase("deliveries", WorkerVerb.Deliveries)]
    [TestCase("migrate", WorkerVerb.Migrate)]
    public void Operator_verbs_are_dispatched_and_the_others_stay_as_they_were(string verb, WorkerVerb expected)
    {
        Assert.That(WorkerCommandLine.Parse([verb, "list"]).Verb, Is.EqualTo(expected));
    }

    [Test]
    public async Task Help_lists_the_dead_letter_commands_and_exits_0()
    {
        using var output = new StringWriter();

        var exitCode = await OperatorCommandLine.RunAsync(["dead-letters", "--help"], output);

        Assert.That(exitCode, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("list").And.Contain("show").And.Contain("replay").And.Contain("purge"));
    }

    [TestCase("dead-letters")]
    [TestCase("dead-letters", "list", "--no-such-option")]
    [TestCase("deliveries", "replay", "--id", "not-a-guid")]
    public async Task Malformed_command_line_exits_2_pointing_at_the_help(params string[] args)
    {
        using var output = new StringWriter();

        var exitCode = await OperatorCommandLine.RunAsync(args, output);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output.ToString(), Does.Contain("--help"));
    }

    [Test]
    public void Usage_of_the_program_names_the_operator_verbs()
    {
        Assert.That(WorkerCommandLine.Usage, Does.Contain("dead-letters").And.Contain("deliveries"));
    }
}
