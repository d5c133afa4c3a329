using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Webhooks.Ingress.Console;

namespace Webhooks.Ingress.Limits;

/// <summary>
/// Counts wrong admin keys per client address, the console's sign-ins and the admin API's Bearer keys together, in a
/// fixed window (<see cref="ConsoleOptions.SignInFailureLimit"/> per <see cref="ConsoleOptions.SignInFailureWindow"/>).
/// Past the limit, every wrong key from the address is refused (429) until its window ends; a wrong key is counted in the
/// same atomic step that checks the limit, so however many arrive at once, no more than the limit are answered as
/// anything but refused. The right key is never counted and never refused: anyone sharing an
/// operator's address (a proxy, a NAT, a script with a stale key) could otherwise lock every operator out, and a key of at
/// least 32 characters (checked at start) is out of reach of guessing at any rate.
/// </summary>
public sealed class WrongKeyThrottle(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Addresses counted at most (~150 bytes each). Past it, ended windows are swept (at most once a second); while it is
    /// still full, every address it does not hold counts with its network (<see cref="MaxNetworks"/>), so a guesser with
    /// more addresses than this gets no more tries, only the same few for all of them, and an operator on another
    /// network keeps their own.
    /// </summary>
    public const int MaxAddresses = 50_000;

    /// <summary>
    /// Networks (IPv4 /16, IPv6 /32) counted at most while the address table is full; past them too, every address the
    /// tables do not hold shares one window. Filling both takes addresses in more than this many networks.
    /// </summary>
    public const int MaxNetworks = 10_000;

    private const string Overflow = "overflow";

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private long _sweptAt = long.MinValue;

    /// <summary>
    /// Judges a try whose key was compared: a right key passes (null); a wrong one is counted, or, when its address is past
    /// the limit, refused until the returned time.
    /// </summary>
    public DateTimeOffset? Attempt(IPAddress? address, bool keyIsRight)
    {
        if (keyIsRight)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var limit = options.Value.SignInFailureLimit;
        var length = options.Value.SignInFailureWindow;
        DateTimeOffset? blockedUntil = null;
        // The update may run more than once under contention: the run whose result is stored sets blockedUntil last.
        _windows.AddOrUpdate(
            KeyOf(address, now),
            _ =>
            {
                blockedUntil = null;
                return new Window(now + length, 1);
            },
            (_, window) =>
            {
                if (window.Ends <= now)
                {
                    blockedUntil = null;
                    return new Window(now + length, 1);
                }
                blockedUntil = window.Failures >= limit ? window.Ends : null;
                return blockedUntil is null ? window with { Failures = window.Failures + 1 } : window;
            });
        return blockedUntil;
    }

    /// <summary>The <c>Retry-After</c> of a refusal: whole seconds until the window ends, at least one.</summary>
    public string RetryAfterSeconds(DateTimeOffset until) =>
        Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The address's window key; while the table is full of live windows, its network's (a guesser's many addresses
    /// share one count, and one that filled the table does not lock out an operator elsewhere), or the shared one.
    /// </summary>
    private string KeyOf(IPAddress? address, DateTimeOffset now)
    {
        var key = Key(address);
        if (_windows.Count < MaxAddresses || _windows.ContainsKey(key))
        {
            return key;
        }
        var ticks = clock.GetTimestamp();
        var swept = Interlocked.Read(ref _sweptAt);
        if ((swept == long.MinValue || clock.GetElapsedTime(swept, ticks) >= TimeSpan.FromSeconds(1))
            && Interlocked.CompareExchange(ref _sweptAt, ticks, swept) == swept)
        {
            foreach (var (stored, window) in _windows)
            {
                if (window.Ends <= now)
                {
                    _windows.TryRemove(stored, out _);
                }
            }
        }
        if (_windows.Count < MaxAddresses)
        {
            return key;
        }
        var network = NetworkKey(address);
        return _windows.Count < MaxAddresses + MaxNetworks || _windows.ContainsKey(network) ? network : Overflow;
    }

    /// <summary>The address's network: its IPv4 /16 or IPv6 /32.</summary>
    private static string NetworkKey(IPAddress? address) => "network " + Masked(address, ipv4Bits: 16, ipv6Bits: 32);

    /// <summary>
    /// IPv4 over IPv6 counts as the IPv4 address; an IPv6 address counts as its /64, the block one subscriber is given
    /// (one machine can take any address in it); an unknown address (a test server) is one bucket.
    /// </summary>
    private static string Key(IPAddress? address) => Masked(address, ipv4Bits: 32, ipv6Bits: 64);

    /// <summary>The address (IPv4 over IPv6 as IPv4) with all but its first bits cleared, as <c>address/bits</c>; "unknown" for none.</summary>
    private static string Masked(IPAddress? address, int ipv4Bits, int ipv6Bits)
    {
        if (address is null)
        {
            return "unknown";
        }
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        Span<byte> bytes = stackalloc byte[16];
        plain.TryWriteBytes(bytes, out var length);
        var bits = length == 4 ? ipv4Bits : ipv6Bits;
        bytes[(bits / 8)..length].Clear();
        return $"{new IPAddress(bytes[..length])}/{bits}";
    }

    private sealed record Window(DateTimeOffset Ends, int Failures);
}
