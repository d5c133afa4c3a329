using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Webhooks.Bench;

public sealed record LoadSettings(string BaseUrl, string[] Tokens, string TemplatePath, long IdBase, int Issues,
    double Rate, double Seconds, int Count, int Concurrency)
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
            Number("--rate", 0), Number("--seconds", 0), (int)Number("--count", 0), (int)Number("--concurrency", 64));
    }
}

/// <summary>
/// Two modes. Fixed rate (open loop): request i is due at start + i/rate and its latency is counted from when it was
/// due, so a stall is not hidden (no coordinated omission). Fixed count (closed loop): C connections send N in total,
/// as fast as they are answered — used to accept a backlog.
/// </summary>
public static class LoadGenerator
{
    public static async Task<int> RunAsync(LoadSettings settings)
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
        var latencies = new ConcurrentBag<double>();
        var ok = 0L;
        var non2xx = 0L;
        var failed = 0L;
        var sent = 0L;

        async Task SendAsync(long due)
        {
            var (comment, body) = payloads.Next();
            var token = settings.Tokens[(int)(Interlocked.Increment(ref sent) % settings.Tokens.Length)];
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/webhooks/{token}");
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("User-Agent", "Atlassian Webhook HTTP Client");
            request.Headers.Add("X-Atlassian-Webhook-Identifier", comment);
            request.Headers.Add("X-Atlassian-Webhook-Flow", "Primary");
            try
            {
                using var response = await client.SendAsync(request);
                Interlocked.Increment(ref (response.IsSuccessStatusCode ? ref ok : ref non2xx));
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failed);
            }
            catch (TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
            latencies.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
        }

        var started = Stopwatch.GetTimestamp();
        if (settings.Rate > 0)
        {
            var total = (long)(settings.Rate * settings.Seconds);
            var interval = Stopwatch.Frequency / settings.Rate;
            var inFlight = new List<Task>((int)total);
            for (long i = 0; i < total; i++)
            {
                var due = started + (long)(i * interval);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }
                inFlight.Add(SendAsync(due));
            }
            await Task.WhenAll(inFlight);
        }
        else
        {
            var remaining = (long)settings.Count;
            await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async _ =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    await SendAsync(Stopwatch.GetTimestamp());
                }
            }));
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var sorted = latencies.Order().ToArray();
        Console.WriteLine(FormattableString.Invariant(
            $"LOAD requests={sorted.Length} seconds={seconds:F1} rate={sorted.Length / seconds:F0} ok={ok} non2xx={non2xx} failed={failed} p50_ms={Percentiles.Of(sorted, 0.50):F1} p99_ms={Percentiles.Of(sorted, 0.99):F1} max_ms={(sorted.Length > 0 ? sorted[^1] : 0):F1}"));
        return non2xx + failed == 0 ? 0 : 1;
    }
}
