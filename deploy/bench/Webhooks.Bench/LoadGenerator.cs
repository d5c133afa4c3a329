using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Webhooks.Bench;

public sealed record LoadSettings(string BaseUrl, string[] Tokens, string TemplatePath, long IdBase, int Issues,
    double Rate, double Seconds, int Count, int Concurrency, double WarmupSeconds)
{
    public static LoadSettings Parse(string[] args)
    {
        if (args.Length < 5)
        {
            throw new ArgumentException("load needs <base url> <tokens file> <template> <id base> <issues>");
        }
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        double Number(string name, double fallback) => Option(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
        return new LoadSettings(args[0], File.ReadAllLines(args[1]).Where(l => l.Length > 0).ToArray(), args[2],
            long.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture),
            Number("--rate", 0), Number("--seconds", 0), (int)Number("--count", 0), (int)Number("--concurrency", 64), Number("--warmup", 0));
    }
}

/// <summary>One second of an open-loop run (its requests by when they were due): where a stall was.</summary>
public sealed record SecondOfRun(int Offset, DateTimeOffset At, double P99);

/// <summary>
/// What one run measured; <see cref="Line"/> is what deploy/bench.sh reads. <paramref name="MeasuredFrom"/> (an open
/// loop's) is when the first counted request was due, after the warm-up: deploy/bench.sh takes the server's side of the
/// same window (deliveries received from then on) from it. <paramref name="ClockGap"/> is how far the wall clock ran
/// ahead of the tool's monotonic clock over the run: a virtual machine paused (for a snapshot, say) stops the second and
/// not the first, so its requests' latencies do not show the pause while the server's timestamps jump by it.
/// </summary>
public sealed record LoadResult(int Requests, double Seconds, long Ok, long Non2xx, long Failed, double P50, double P99, double Max,
    SecondOfRun? WorstSecond = null, DateTimeOffset? MeasuredFrom = null, TimeSpan ClockGap = default)
{
    public bool AllAnswered2xx => Non2xx + Failed == 0;

    public string Line() => FormattableString.Invariant(
        $"LOAD requests={Requests} seconds={Seconds:F1} rate={Requests / Seconds:F0} ok={Ok} non2xx={Non2xx} failed={Failed} p50_ms={P50:F1} p99_ms={P99:F1} max_ms={Max:F1}")
        + (WorstSecond is { } worst
            ? FormattableString.Invariant($" worst_second=+{worst.Offset} worst_second_at={worst.At:HH:mm:ss} worst_second_p99_ms={worst.P99:F1}")
            : "")
        + (MeasuredFrom is { } from ? FormattableString.Invariant($" measured_from={from.ToUnixTimeMilliseconds() / 1000.0:F3}") : "")
        // + 0.0 turns a negative zero (a few microseconds behind) into 0.0.
        + FormattableString.Invariant($" clock_gap_s={Math.Round(ClockGap.TotalSeconds, 1) + 0.0:F1}");
}

/// <summary>
/// Two modes. Fixed rate (open loop): request i is due at start + i/rate and its latency is counted from when it was
/// due, so a stall is not hidden (no coordinated omission); <c>--warmup W</c> sends at the same rate for W seconds first
/// and does not count them, so the tool's own start (JIT, connections, thread pool) is not measured as the server's
/// latency. Fixed count (closed loop): C connections send N in total, as fast as they are answered — used to accept a
/// backlog. Latencies go into one array sized up front and no request's task is kept, so the tool's own garbage
/// collections stay small while it measures.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(LoadSettings settings)
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 512,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
        })
        {
            BaseAddress = new Uri(settings.BaseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        var payloads = Payloads.Load(settings.TemplatePath, settings.IdBase, settings.Issues);
        var warmupCount = settings.Rate > 0 ? (long)(settings.Rate * settings.WarmupSeconds) : 0;
        var measuredCount = settings.Rate > 0 ? (long)(settings.Rate * settings.Seconds) : settings.Count;
        var latencies = new double[measuredCount];
        var ok = 0L;
        var non2xx = 0L;
        var failed = 0L;
        var sent = 0L;
        var outstanding = 1L;
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        void Answered()
        {
            if (Interlocked.Decrement(ref outstanding) == 0)
            {
                allAnswered.TrySetResult();
            }
        }

        // index < 0: a warm-up request, sent but not counted.
        async Task SendAsync(long due, long index)
        {
            try
            {
                var (comment, body) = payloads.Next();
                var token = settings.Tokens[(int)(Interlocked.Increment(ref sent) % settings.Tokens.Length)];
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/webhooks/{token}");
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation("User-Agent", "Atlassian Webhook HTTP Client");
                request.Headers.Add("X-Atlassian-Webhook-Identifier", comment);
                request.Headers.Add("X-Atlassian-Webhook-Flow", "Primary");
                bool? success;
                try
                {
                    using var response = await client.SendAsync(request);
                    success = response.IsSuccessStatusCode;
                }
                catch (Exception)
                {
                    success = null;
                }
                if (index >= 0)
                {
                    Interlocked.Increment(ref (success is null ? ref failed : ref (success.Value ? ref ok : ref non2xx)));
                    latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
                }
            }
            finally
            {
                Answered();
            }
        }

        var startedAt = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var measuredFrom = started;
        if (settings.Rate > 0)
        {
            var interval = Stopwatch.Frequency / settings.Rate;
            measuredFrom = started + (long)(warmupCount * interval);
            for (long i = 0; i < warmupCount + measuredCount; i++)
            {
                var due = started + (long)(i * interval);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }
                Interlocked.Increment(ref outstanding);
                _ = SendAsync(due, i - warmupCount);
            }
        }
        else
        {
            var next = -1L;
            await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async _ =>
            {
                long index;
                while ((index = Interlocked.Increment(ref next)) < measuredCount)
                {
                    Interlocked.Increment(ref outstanding);
                    await SendAsync(Stopwatch.GetTimestamp(), index);
                }
            }));
        }
        Answered();
        await allAnswered.Task;
        var clockGap = (DateTimeOffset.UtcNow - startedAt) - Stopwatch.GetElapsedTime(started);

        var seconds = Stopwatch.GetElapsedTime(measuredFrom).TotalSeconds;
        var sorted = latencies.Order().ToArray();
        DateTimeOffset? measuredFromAt = settings.Rate > 0 ? startedAt + Stopwatch.GetElapsedTime(started, measuredFrom) : null;
        var worstSecond = measuredFromAt is { } at ? WorstSecond(latencies, settings.Rate, at) : null;
        return new LoadResult(sorted.Length, seconds, ok, non2xx, failed, Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99),
            sorted.Length > 0 ? sorted[^1] : 0, worstSecond, measuredFromAt, clockGap);
    }

    /// <summary>The second of the measured run, by when its requests were due, with the highest p99.</summary>
    private static SecondOfRun? WorstSecond(double[] latencies, double rate, DateTimeOffset measuredFrom)
    {
        SecondOfRun? worst = null;
        for (var second = 0; (long)Math.Ceiling(second * rate) < latencies.Length; second++)
        {
            var from = (int)Math.Ceiling(second * rate);
            var to = (int)Math.Min(latencies.Length, Math.Ceiling((second + 1) * rate));
            var sorted = latencies[from..to].Order().ToArray();
            var p99 = Percentiles.Of(sorted, 0.99);
            if (worst is null || p99 > worst.P99)
            {
                worst = new SecondOfRun(second, measuredFrom.AddSeconds(second), p99);
            }
        }
        return worst;
    }
}
