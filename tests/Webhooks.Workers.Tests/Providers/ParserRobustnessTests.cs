using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Contracts;
using Webhooks.Workers.Providers;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Every registered parser over every recorded payload of its provider (tests/Fixtures/Providers), cut at every length
/// and corrupted by seeded random byte flips: whatever arrives, a parser returns parsed, ignored or failed with a
/// reason (a recording that parses whole fails when cut in half), and never throws (a throw would be retried and dead-lettered as if the database were down). Asana and
/// Smartsheet parsers stop at the fetch boundary by design: they name what to fetch and never call out.
/// </summary>
public sealed class ParserRobustnessTests
{
    /// <summary>The whole test on a two-core machine shared with others; it takes a few seconds alone.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Recordings up to this many bytes are cut at every length; longer ones (GitHub, Trello's 2024 delivery, Rally's
    /// 50 KB messages) at an even stride that gives this many cuts, because the work grows with the square of the length.
    /// </summary>
    private const int MaxCutsPerRecording = 16_000;

    private const int CorruptedCopiesPerRecording = 5_000;

    /// <summary>Bytes that change what a JSON or XML reader sees: structure, quotes, escapes, digits, NUL, broken UTF-8.</summary>
    private static readonly byte[] Interesting = "{}[]\":,\\0123456789-+.eE<>/&;=' \n"u8.ToArray().Concat(new byte[] { 0x00, 0x80, 0xC3, 0xE2, 0xFF }).ToArray();

    [Test]
    public void No_cut_or_corrupted_recording_makes_a_parser_throw_or_stall()
    {
        var parsers = RegisteredParsers();
        var recordings = parsers.SelectMany(parser => PayloadFixtures.All(parser.Provider).Select(fixture => (parser, fixture))).ToList();
        Assert.That(parsers.Select(p => p.Provider).Where(p => !PayloadFixtures.All(p).Any()), Is.Empty,
            "every provider with a parser has recorded payloads in tests/Fixtures/Providers");

        var problems = new List<(Provider Provider, string Kind, string Detail)>();
        var clock = Stopwatch.StartNew();
        var parses = 0;
        var slowest = (Elapsed: TimeSpan.Zero, Input: "");
        foreach (var (parser, fixture) in recordings)
        {
            var body = PayloadFixtures.Read(parser.Provider, fixture);
            var headers = HeadersFor(parser.Provider, fixture);
            var stride = Math.Max(1, (body.Length + MaxCutsPerRecording - 1) / MaxCutsPerRecording);
            for (var length = 0; length <= body.Length; length += stride)
            {
                Check(parser, body.AsMemory(0, length), headers, $"{parser.Provider}/{fixture} cut at {length} of {body.Length} bytes");
            }
            // Half a delivery is no delivery: what parses whole fails when cut in half, never applies half its changes.
            if (parser.Parse(body, headers).Outcome == ParseOutcome.Parsed && parser.Parse(body.AsMemory(0, body.Length / 2), headers).Outcome != ParseOutcome.Failed)
            {
                problems.Add((parser.Provider, "cut in half and not failed", $"{parser.Provider}/{fixture} cut in half was not failed"));
            }

            var random = new Random(PayloadFixtures.StableSeed(parser.Provider, fixture));
            for (var copy = 0; copy < CorruptedCopiesPerRecording && body.Length > 0; copy++)
            {
                var corrupted = (byte[])body.Clone();
                var flips = random.Next(1, 5);
                var where = new List<string>(flips);
                for (var flip = 0; flip < flips; flip++)
                {
                    var at = random.Next(corrupted.Length);
                    corrupted[at] = random.Next(2) == 0 ? Interesting[random.Next(Interesting.Length)] : (byte)random.Next(256);
                    where.Add($"[{at}]=0x{corrupted[at]:X2}");
                }
                Check(parser, corrupted, headers, $"{parser.Provider}/{fixture} with {string.Join(" ", where)}");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(problems.Count, Is.Zero, $"{problems.Count} of {parses} parses went wrong; the first of each kind:\n"
                + string.Join("\n", problems.DistinctBy(p => (p.Provider, p.Kind)).Select(p => p.Detail)));
            Assert.That(clock.Elapsed, Is.LessThan(Budget), $"{parses} parses; the slowest took {slowest.Elapsed.TotalMilliseconds:F0} ms: {slowest.Input}");
        });

        void Check(IPayloadParser parser, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers, string input)
        {
            parses++;
            var started = clock.Elapsed;
            try
            {
                var result = parser.Parse(body, headers);
                var kind = result switch
                {
                    null => "returned null",
                    { Outcome: ParseOutcome.Failed or ParseOutcome.Ignored, Reason: null or "" } => $"{result.Outcome} without a reason",
                    { Outcome: ParseOutcome.Parsed } when result.Changes.Any(c => string.IsNullOrEmpty(c.ExternalItemId) || string.IsNullOrEmpty(c.SourceEventId))
                        => "a change without an item id or a source event id",
                    { Outcome: not (ParseOutcome.Parsed or ParseOutcome.Failed or ParseOutcome.Ignored) } => $"outcome {result.Outcome}",
                    _ => null,
                };
                if (kind is not null)
                {
                    problems.Add((parser.Provider, kind, $"{input}: {kind}"));
                }
            }
            catch (Exception e)
            {
                problems.Add((parser.Provider, e.GetType().Name, $"{input}: threw {e.GetType().Name}: {e.Message}"));
            }
            var took = clock.Elapsed - started;
            if (took > slowest.Elapsed)
            {
                slowest = (took, input);
            }
        }
    }

    /// <summary>The parsers exactly as the worker registers them, so a new provider is covered the day it is added.</summary>
    private static List<IPayloadParser> RegisteredParsers()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddPayloadParsers();
        using var services = builder.Services.BuildServiceProvider();
        return [.. services.GetServices<IPayloadParser>().OrderBy(p => p.Provider)];
    }

    /// <summary>The headers recorded with the delivery; GitHub's event comes in <c>X-GitHub-Event</c>, and its fixtures are named <c>{event}.{action}.json</c>.</summary>
    private static Dictionary<string, string> HeadersFor(Provider provider, string fixture)
    {
        var headers = PayloadFixtures.RecordedHeaders(provider, fixture);
        if (provider == Provider.GitHub)
        {
            headers["X-GitHub-Event"] = fixture.Split('.')[0];
            headers["X-GitHub-Delivery"] = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
        }
        return headers;
    }
}
