using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace Webhooks.Ingress.Console;

/// <summary>
/// Counts wrong admin keys per client address in a fixed window (<see cref="ConsoleOptions.SignInFailureLimit"/> per
/// <see cref="ConsoleOptions.SignInFailureWindow"/>). Once an address reaches the limit, every sign-in from it is
/// refused until its window ends, the right key included, so guessing costs the whole window per few tries.
/// </summary>
public sealed class SignInThrottle(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>Past this many addresses, ended windows are swept before another is added: memory stays bounded.</summary>
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>When the address may try again, or null when it may now.</summary>
    public DateTimeOffset? BlockedUntil(IPAddress? address)
    {
        var now = clock.GetUtcNow();
        return _windows.TryGetValue(Key(address), out var window) && window.Ends > now && window.Failures >= options.Value.SignInFailureLimit
            ? window.Ends
            : null;
    }

    /// <summary>The <c>Retry-After</c> of a refusal: whole seconds until the window ends, at least one.</summary>
    public string RetryAfterSeconds(DateTimeOffset until) =>
        Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public void RecordFailure(IPAddress? address)
    {
        var now = clock.GetUtcNow();
        if (_windows.Count > SweepAbove)
        {
            foreach (var (key, window) in _windows)
            {
                if (window.Ends <= now)
                {
                    _windows.TryRemove(key, out _);
                }
            }
        }
        _windows.AddOrUpdate(
            Key(address),
            _ => new Window(now + options.Value.SignInFailureWindow, 1),
            (_, window) => window.Ends <= now ? new Window(now + options.Value.SignInFailureWindow, 1) : window with { Failures = window.Failures + 1 });
    }

    /// <summary>
    /// IPv4 over IPv6 counts as the IPv4 address; an IPv6 address counts as its /64, the block one subscriber is given
    /// (one machine can take any address in it); an unknown address (a test server) is one bucket.
    /// </summary>
    private static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    private sealed record Window(DateTimeOffset Ends, int Failures);
}
