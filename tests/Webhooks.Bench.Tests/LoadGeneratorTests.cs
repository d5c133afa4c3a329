namespace Webhooks.Bench.Tests;

/// <summary>
/// <c>Webhooks.Bench load</c> is the instrument behind the half-load, drain and sustained rows of docs/benchmarks.md:
/// run against a server whose answers the test controls, it must count exactly what it was asked to measure and show a
/// server's stall in its latencies.
/// </summary>
[NonParallelizable]
public sealed class LoadGeneratorTests
{
    private string _template = "";

    [OneTimeSetUp]
    public void WriteTemplate()
    {
        _template = Path.Combine(TestContext.CurrentContext.WorkDirectory, "load-template.json");
        File.WriteAllText(_template, """{"comment":{"id":"__COMMENT__"},"issue":{"id":"__ISSUE__"}}""");
    }

    [Test]
    public async Task An_open_loop_run_keeps_sending_through_a_stall_counts_each_request_from_when_it_was_due_and_names_the_second()
    {
        // The 300th request (due 1.5 s in) opens a 500 ms stall: every request that arrives in it waits until it ends.
        await using var server = await StubWebhookServer.StartAsync(stallAt: 300, stall: TimeSpan.FromMilliseconds(500));

        var result = await LoadGenerator.RunAsync(Settings(server.BaseUrl, rate: 200, seconds: 2));

        Assert.Multiple(() =>
        {
            Assert.That(result.Requests, Is.EqualTo(400));
            Assert.That(result.Ok, Is.EqualTo(400));
            Assert.That(server.Received, Is.EqualTo(400));
            // The request that opened the stall waited all of it; the ~100 due during it (a quarter of the run) waited
            // for its end, so the p99 is one of them, while the median request was not held at all.
            Assert.That(result.Max, Is.GreaterThanOrEqualTo(500));
            Assert.That(result.P99, Is.GreaterThanOrEqualTo(250));
            Assert.That(result.P50, Is.LessThan(result.P99));
            // Sent at the rate through the stall, not after it: more requests were waiting at once than a closed loop
            // of a few connections would have had out.
            Assert.That(server.MostInFlight, Is.GreaterThanOrEqualTo(50));
            // The held requests were all due in the run's second second: that is where it says the stall was.
            Assert.That(result.WorstSecond, Is.Not.Null);
            Assert.That(result.WorstSecond!.Offset, Is.EqualTo(1));
            Assert.That(result.WorstSecond.P99, Is.GreaterThanOrEqualTo(250));
            Assert.That(result.Line(), Does.Contain(" worst_second=+1 "));
        });
    }

    [Test]
    public async Task Warm_up_requests_are_sent_at_the_rate_but_neither_counted_nor_timed()
    {
        await using var server = await StubWebhookServer.StartAsync();

        // As deploy/bench.sh calls it for the half-load row and the sustained steps.
        var before = DateTimeOffset.UtcNow;
        var result = await LoadGenerator.RunAsync(LoadSettings.Parse(
            [server.BaseUrl, TokensFile(), _template, "5000", "10", "--rate", "100", "--seconds", "1", "--warmup", "1"]));

        Assert.Multiple(() =>
        {
            Assert.That(server.Received, Is.EqualTo(200), "warm-up and measured requests both sent");
            Assert.That(result.Requests, Is.EqualTo(100));
            Assert.That(result.Ok, Is.EqualTo(100));
            Assert.That(result.Seconds, Is.InRange(0.9, 1.9), "the measured second starts after the warm-up");
            Assert.That(result.Line(), Does.StartWith("LOAD requests=100 seconds="));
            // The server's side of the measured window (deliveries received from then on) starts one second in.
            Assert.That(result.MeasuredFrom, Is.InRange(before.AddSeconds(0.9), before.AddSeconds(1.9)));
            Assert.That(result.Line(), Does.Contain(FormattableString.Invariant($" measured_from={result.MeasuredFrom!.Value.ToUnixTimeMilliseconds() / 1000.0:F3}")));
        });
    }

    [Test]
    public async Task A_fixed_count_keeps_at_most_the_given_connections_busy_and_sends_each_request_as_a_new_delivery()
    {
        await using var server = await StubWebhookServer.StartAsync();

        var result = await LoadGenerator.RunAsync(Settings(server.BaseUrl, count: 300, concurrency: 4));

        Assert.Multiple(() =>
        {
            Assert.That(result.Requests, Is.EqualTo(300));
            Assert.That(result.Ok, Is.EqualTo(300));
            Assert.That(server.Received, Is.EqualTo(300));
            Assert.That(server.MostInFlight, Is.LessThanOrEqualTo(4));
            Assert.That(server.DistinctIdentifiers, Is.EqualTo(300), "a repeated webhook identifier would be stored as a duplicate");
            Assert.That(result.WorstSecond, Is.Null, "a closed loop has no schedule to place a second on");
            Assert.That(result.MeasuredFrom, Is.Null);
            // Nothing paused this machine: the wall clock and the tool's clock agree (a pause shows as a gap of seconds).
            Assert.That(result.ClockGap.TotalSeconds, Is.InRange(-0.04, 0.04));
            Assert.That(result.Line(), Does.EndWith(" clock_gap_s=0.0"));
        });
    }

    [Test]
    public async Task Answers_other_than_2xx_and_requests_that_got_no_answer_are_counted_apart_and_fail_the_run()
    {
        await using var server = await StubWebhookServer.StartAsync(status: n => n % 10 == 0 ? 503 : 200);

        var refused = await LoadGenerator.RunAsync(Settings(server.BaseUrl, count: 100, concurrency: 4));
        var unreachable = await LoadGenerator.RunAsync(Settings("http://127.0.0.1:1", count: 20, concurrency: 4));

        Assert.Multiple(() =>
        {
            Assert.That((refused.Ok, refused.Non2xx, refused.Failed), Is.EqualTo((90L, 10L, 0L)));
            Assert.That(refused.AllAnswered2xx, Is.False);
            Assert.That((unreachable.Ok, unreachable.Non2xx, unreachable.Failed), Is.EqualTo((0L, 0L, 20L)));
            Assert.That(unreachable.AllAnswered2xx, Is.False);
        });
    }

    private LoadSettings Settings(string baseUrl, double rate = 0, double seconds = 0, int count = 0, int concurrency = 64) =>
        new(baseUrl, ["token-a", "token-b"], _template, IdBase: 1_000_000, Issues: 10, rate, seconds, count, concurrency, WarmupSeconds: 0);

    private static string TokensFile()
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "load-tokens.txt");
        File.WriteAllLines(path, ["token-a", "token-b"]);
        return path;
    }
}
