using System.Diagnostics;
using System.Net;
using Webhooks.Persistence.Model;

namespace Webhooks.Reliability.Tests;

/// <summary>
/// Sustained load with a worker restart half-way. 1,000 deliveries by default; 100,000 with <c>WEBHOOKS_SOAK=1</c>:
/// <c>WEBHOOKS_SOAK=1 dotnet test tests/Webhooks.Reliability.Tests --filter Soak</c> (<c>WEBHOOKS_SOAK_COUNT</c> sets another count).
/// </summary>
public sealed class SoakTests
{
    [Test]
    public async Task Soak_every_accepted_delivery_reaches_an_outcome_and_no_comment_lands_twice_across_a_worker_restart()
    {
        var soak = Environment.GetEnvironmentVariable("WEBHOOKS_SOAK") == "1";
        var total = soak ? int.Parse(Environment.GetEnvironmentVariable("WEBHOOKS_SOAK_COUNT") ?? "100000", System.Globalization.CultureInfo.InvariantCulture) : 1_000;
        var started = Stopwatch.GetTimestamp();
        await using var stack = await FaultStack.CreateAsync("soak");
        var first = await stack.StartWorkerAsync();
        // One integration takes the whole load here: its rate limit (tested on its own) would answer 429 past 500/s.
        var ingress = await stack.StartIngressAsync(new Dictionary<string, string> { ["Ingress:RateLimit:PermitsPerSecond"] = "0" });
        using var client = ingress.CreateClient();

        var half = total / 2;
        var answers = await stack.PostCommentsAsync(client, 1, half, parallel: 16);
        var restart = Task.Run(async () =>
        {
            await first.StopAsync();
            await stack.StartWorkerAsync();
        });
        answers.AddRange(await stack.PostCommentsAsync(client, half + 1, total - half, parallel: 16));
        await restart;

        Assert.That(answers.Count(a => a.Status == HttpStatusCode.OK), Is.EqualTo(total), "every request was accepted");
        var ids = answers.Select(a => a.DeliveryId!.Value).ToList();
        await stack.WaitUntilFinishedAsync(ids, soak ? TimeSpan.FromHours(2) : TimeSpan.FromMinutes(3));

        var counts = await stack.CountByStatusAsync();
        var outcomes = new[] { DeliveryStatus.Processed, DeliveryStatus.Duplicate, DeliveryStatus.Ignored, DeliveryStatus.Failed, DeliveryStatus.DeadLettered }
            .Sum(s => counts.GetValueOrDefault(s));
        var duplicateComments = await stack.CountDuplicateCommentsAsync();
        TestContext.Progress.WriteLine(
            $"Soak: {total} accepted; {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}; duplicate comments {duplicateComments}; " +
            $"{Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
        Assert.Multiple(async () =>
        {
            Assert.That(outcomes, Is.EqualTo(total), "accepted = processed + duplicate + ignored + failed + dead_lettered");
            Assert.That(duplicateComments, Is.Zero);
            Assert.That(await stack.CountCommentsAsync(), Is.EqualTo(counts.GetValueOrDefault(DeliveryStatus.Processed)));
        });
    }
}
