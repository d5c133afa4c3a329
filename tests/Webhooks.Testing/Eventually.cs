using System.Collections;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using NUnit.Framework;

namespace Webhooks.Testing;

/// <summary>
/// The one wait of the tests: read something until it is what the test expects, with a deadline, never a fixed sleep.
/// A wait that runs out fails the test naming what it waited for and the last value it saw.
/// </summary>
public static class Eventually
{
    /// <summary>Long enough for a shared two-core machine; a test that needs longer (or shorter) says so.</summary>
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads until <paramref name="accept"/> holds for what was read, and returns that value.</summary>
    public static async Task<T> GetAsync<T>(string what, Func<Task<T>> read, Func<T, bool> accept, TimeSpan? within = null)
    {
        var bound = within ?? DefaultWithin;
        var value = await ReadUntilAsync(read, accept, bound);
        return accept(value) ? value : throw new AssertionException($"Waited {bound.TotalSeconds:0.#} s for {what}; last seen: {Describe(value)}");
    }

    /// <summary>
    /// Reads until <paramref name="accept"/> holds or <paramref name="within"/> has passed (at least once), and returns
    /// the last value read either way: for a test that judges and reports what it saw itself.
    /// </summary>
    public static async Task<T> ReadUntilAsync<T>(Func<Task<T>> read, Func<T, bool> accept, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (accept(value) || clock.Elapsed > within)
            {
                return value;
            }
            await Task.Delay(PollEvery);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task HoldsAsync(string what, Func<Task<bool>> condition, TimeSpan? within = null) =>
        GetAsync(what, condition, holds => holds, within);

    public static Task HoldsAsync(string what, Func<bool> condition, TimeSpan? within = null) =>
        GetAsync(what, () => Task.FromResult(condition()), holds => holds, within);

    private static readonly JsonSerializerOptions Shown = new() { ReferenceHandler = ReferenceHandler.IgnoreCycles, MaxDepth = 8 };

    /// <summary>What a value looks like in a failure message: JSON as sent, collections by their items, objects by their properties.</summary>
    public static string Describe(object? value)
    {
        var text = value switch
        {
            null => "null",
            JsonElement json => json.ValueKind == JsonValueKind.Undefined ? "nothing" : json.GetRawText(),
            string or ValueType => value.ToString()!,
            IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
            _ => AsJson(value),
        };
        return text.Length <= 2000 ? text : text[..2000] + "…";
    }

    private static string AsJson(object value)
    {
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), Shown);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return value.ToString() ?? "";
        }
    }
}

/// <summary>
/// The wait of a test that something does <em>not</em> happen: the condition is read throughout a bounded time and must
/// hold every time. The bound is the test's claim ("not within 1 s"), so it is always given.
/// </summary>
public static class Consistently
{
    public static async Task HoldsAsync<T>(string what, Func<Task<T>> read, Func<T, bool> holds, TimeSpan during)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            var value = await read();
            if (!holds(value))
            {
                throw new AssertionException($"Expected {what} for {during.TotalSeconds:0.#} s; after {clock.Elapsed.TotalSeconds:0.#} s saw: {Eventually.Describe(value)}");
            }
            await Task.Delay(Eventually.PollEvery);
        }
        while (clock.Elapsed < during);
    }

    public static Task HoldsAsync(string what, Func<Task<bool>> condition, TimeSpan during) =>
        HoldsAsync(what, condition, holds => holds, during);

    public static Task HoldsAsync(string what, Func<bool> condition, TimeSpan during) =>
        HoldsAsync(what, () => Task.FromResult(condition()), holds => holds, during);
}
