using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Ingress.Console;
using Webhooks.Ingress.Limits;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>Whose wrong admin keys count together (the console's sign-in and the admin API share this count), what bounds it, and that the right key always passes.</summary>
public sealed class WrongKeyThrottleTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-02T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private WrongKeyThrottle Throttle() =>
        new(Options.Create(new ConsoleOptions { SignInFailureLimit = 3, SignInFailureWindow = TimeSpan.FromMinutes(15) }), _clock);

    [Test]
    public void Addresses_of_one_IPv6_64_block_count_together_and_another_block_does_not()
    {
        var throttle = Throttle();

        foreach (var address in new[] { "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff" })
        {
            Assert.That(throttle.Attempt(IPAddress.Parse(address), keyIsRight: false), Is.Null);
        }

        Assert.Multiple(() =>
        {
            Assert.That(throttle.Attempt(IPAddress.Parse("2001:db8:1:2:abcd::9"), keyIsRight: false), Is.EqualTo(_clock.GetUtcNow().AddMinutes(15)));
            Assert.That(throttle.Attempt(IPAddress.Parse("2001:db8:1:3::1"), keyIsRight: false), Is.Null, "the next /64 is another subscriber");
        });
    }

    [Test]
    public void An_IPv4_address_counts_alone_also_when_it_arrives_over_IPv6()
    {
        var throttle = Throttle();

        throttle.Attempt(IPAddress.Parse("198.51.100.7"), keyIsRight: false);
        throttle.Attempt(IPAddress.Parse("::ffff:198.51.100.7"), keyIsRight: false);
        throttle.Attempt(IPAddress.Parse("198.51.100.7"), keyIsRight: false);

        Assert.Multiple(() =>
        {
            Assert.That(throttle.Attempt(IPAddress.Parse("::ffff:198.51.100.7"), keyIsRight: false), Is.Not.Null);
            Assert.That(throttle.Attempt(IPAddress.Parse("198.51.100.8"), keyIsRight: false), Is.Null);
        });
    }

    [Test]
    public void Right_keys_never_count_and_are_never_refused()
    {
        var throttle = Throttle();
        var address = IPAddress.Parse("203.0.113.5");

        for (var i = 0; i < 10; i++)
        {
            Assert.That(throttle.Attempt(address, keyIsRight: true), Is.Null, $"right key {i + 1}");
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.That(throttle.Attempt(address, keyIsRight: false), Is.Null, $"wrong key {i + 1}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(throttle.Attempt(address, keyIsRight: false), Is.Not.Null, "a wrong key after the limit");
            Assert.That(throttle.Attempt(address, keyIsRight: true), Is.Null, "the right key after the limit");
        });
    }

    [Test]
    public void Wrong_keys_at_the_same_moment_get_no_more_than_the_limit_between_them()
    {
        // The check and the count are one step: 200 guesses in flight at once cannot all pass the check first.
        var throttle = Throttle();
        var address = IPAddress.Parse("203.0.113.9");

        var answered = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (throttle.Attempt(address, keyIsRight: false) is null)
            {
                Interlocked.Increment(ref answered);
            }
        });

        Assert.That(answered, Is.EqualTo(3), "answered 401 rather than refused");
    }

    [Test]
    public void Concurrent_right_keys_never_block_each_other()
    {
        var throttle = Throttle();
        var address = IPAddress.Parse("203.0.113.10");
        throttle.Attempt(address, keyIsRight: false);
        throttle.Attempt(address, keyIsRight: false);

        var refused = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (throttle.Attempt(address, keyIsRight: true) is not null)
            {
                Interlocked.Increment(ref refused);
            }
        });

        Assert.That(refused, Is.Zero);
    }

    [Test]
    public void The_block_ends_with_its_window()
    {
        var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            throttle.Attempt(IPAddress.Parse("203.0.113.1"), keyIsRight: false);
        }

        _clock.Advance(TimeSpan.FromMinutes(15));

        Assert.That(throttle.Attempt(IPAddress.Parse("203.0.113.1"), keyIsRight: false), Is.Null);
    }

    [Test]
    public void Past_its_size_the_table_counts_new_addresses_together_and_makes_room_as_windows_end()
    {
        // One guesser with more addresses than the table holds gets the same three tries for all the new ones of its
        // network (198.51.0.0/16), and the table does not grow past its size.
        var throttle = Throttle();
        for (var i = 0; i < WrongKeyThrottle.MaxAddresses; i++)
        {
            throttle.Attempt(new IPAddress(0x0A000000u + (uint)i), keyIsRight: false);
        }

        var newcomers = Enumerable.Range(0, 5).Select(i => throttle.Attempt(IPAddress.Parse($"198.51.100.{i + 1}"), keyIsRight: false)).ToList();
        Assert.That(newcomers.Take(3), Is.All.Null);
        Assert.That(newcomers.Skip(3), Is.All.Not.Null, "past the limit for all of them together");
        Assert.That(throttle.Attempt(new IPAddress(0x0A000000u), keyIsRight: false), Is.Null, "an address the table holds keeps its own count");

        _clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));

        Assert.That(throttle.Attempt(IPAddress.Parse("198.51.100.4"), keyIsRight: false), Is.Null, "the ended windows are swept: the newcomer counts alone again");
        Assert.That(throttle.Attempt(IPAddress.Parse("198.51.100.4"), keyIsRight: false), Is.Null);
        Assert.That(throttle.Attempt(IPAddress.Parse("198.51.100.4"), keyIsRight: false), Is.Null);
        Assert.That(throttle.Attempt(IPAddress.Parse("198.51.100.4"), keyIsRight: false), Is.Not.Null);
    }
    [Test]
    public void While_the_table_is_full_a_guessers_network_locks_out_no_operator_on_another()
    {
        // A guesser whose addresses (one IPv6 /48: 65,536 /64s) filled the table, then used up its network's tries.
        var throttle = Throttle();
        for (var i = 0; i < WrongKeyThrottle.MaxAddresses + 4; i++)
        {
            throttle.Attempt(IPAddress.Parse($"2001:db8:1:{i:x}::1"), keyIsRight: false);
        }

        Assert.That(throttle.Attempt(IPAddress.Parse("2001:db8:2:1::1"), keyIsRight: false), Is.Not.Null, "the guesser's /32 is blocked");
        Assert.That(Enumerable.Range(0, 4).Select(_ => throttle.Attempt(IPAddress.Parse("203.0.113.9"), keyIsRight: false)).ToList(),
            Is.EqualTo(new DateTimeOffset?[] { null, null, null, _clock.GetUtcNow() + TimeSpan.FromMinutes(15) }), "an operator elsewhere has their own tries");
    }

    [Test]
    public void Past_its_networks_too_every_address_the_table_does_not_hold_shares_one_window()
    {
        var throttle = Throttle();
        for (var i = 0; i < WrongKeyThrottle.MaxAddresses; i++)
        {
            throttle.Attempt(new IPAddress(0x0A000000u + (uint)i), keyIsRight: false);
        }
        for (var network = 0; network < WrongKeyThrottle.MaxNetworks; network++)
        {
            // One address in each of as many /16s.
            throttle.Attempt(new IPAddress([(byte)(20 + network / 256), (byte)(network % 256), 0, 1]), keyIsRight: false);
        }

        var newcomers = new[] { "198.51.100.1", "203.0.113.1", "192.0.2.1", "100.64.0.1" }
            .Select(address => throttle.Attempt(IPAddress.Parse(address), keyIsRight: false)).ToList();

        Assert.That(newcomers.Take(3), Is.All.Null);
        Assert.That(newcomers[3], Is.Not.Null, "four networks, one shared window of three tries");
    }
}
