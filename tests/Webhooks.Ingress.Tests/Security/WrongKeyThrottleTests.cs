using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Ingress.Console;
using Webhooks.Ingress.Limits;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>Whose wrong admin keys count together (the console's sign-in and the admin API share this count), and what bounds it.</summary>
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
            Assert.That(throttle.TryKey(IPAddress.Parse(address)), Is.Null);
        }

        Assert.Multiple(() =>
        {
            Assert.That(throttle.TryKey(IPAddress.Parse("2001:db8:1:2:abcd::9")), Is.EqualTo(_clock.GetUtcNow().AddMinutes(15)));
            Assert.That(throttle.TryKey(IPAddress.Parse("2001:db8:1:3::1")), Is.Null, "the next /64 is another subscriber");
        });
    }

    [Test]
    public void An_IPv4_address_counts_alone_also_when_it_arrives_over_IPv6()
    {
        var throttle = Throttle();

        throttle.TryKey(IPAddress.Parse("198.51.100.7"));
        throttle.TryKey(IPAddress.Parse("::ffff:198.51.100.7"));
        throttle.TryKey(IPAddress.Parse("198.51.100.7"));

        Assert.Multiple(() =>
        {
            Assert.That(throttle.TryKey(IPAddress.Parse("::ffff:198.51.100.7")), Is.Not.Null);
            Assert.That(throttle.TryKey(IPAddress.Parse("198.51.100.8")), Is.Null);
        });
    }

    [Test]
    public void A_right_key_does_not_count_and_a_blocked_address_is_refused_before_its_key_is_looked_at()
    {
        var throttle = Throttle();
        var address = IPAddress.Parse("203.0.113.5");

        for (var i = 0; i < 10; i++)
        {
            Assert.That(throttle.TryKey(address), Is.Null, $"right key {i + 1}");
            throttle.KeyWasRight(address);
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.That(throttle.TryKey(address), Is.Null, $"wrong key {i + 1}");
        }

        Assert.That(throttle.TryKey(address), Is.Not.Null, "the fourth try, whatever its key");
    }

    [Test]
    public void Tries_at_the_same_moment_get_no_more_than_the_limit_between_them()
    {
        // Counted before the key is compared: 200 requests in flight at once cannot all pass the check first.
        var throttle = Throttle();
        var address = IPAddress.Parse("203.0.113.9");

        var allowed = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (throttle.TryKey(address) is null)
            {
                Interlocked.Increment(ref allowed);
            }
        });

        Assert.That(allowed, Is.EqualTo(3));
    }

    [Test]
    public void The_block_ends_with_its_window()
    {
        var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            throttle.TryKey(IPAddress.Parse("203.0.113.1"));
        }

        _clock.Advance(TimeSpan.FromMinutes(15));

        Assert.That(throttle.TryKey(IPAddress.Parse("203.0.113.1")), Is.Null);
    }

    [Test]
    public void Past_its_size_the_table_counts_new_addresses_together_and_makes_room_as_windows_end()
    {
        // One guesser with more addresses than the table holds gets the same three tries for all the new ones, and the
        // table does not grow past its size.
        var throttle = Throttle();
        for (var i = 0; i < WrongKeyThrottle.MaxAddresses; i++)
        {
            throttle.TryKey(new IPAddress(0x0A000000u + (uint)i));
        }

        var newcomers = Enumerable.Range(0, 5).Select(i => throttle.TryKey(IPAddress.Parse($"198.51.100.{i + 1}"))).ToList();
        Assert.That(newcomers.Take(3), Is.All.Null);
        Assert.That(newcomers.Skip(3), Is.All.Not.Null, "past the limit for all of them together");
        Assert.That(throttle.TryKey(new IPAddress(0x0A000000u)), Is.Null, "an address the table holds keeps its own count");

        _clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));

        Assert.That(throttle.TryKey(IPAddress.Parse("198.51.100.4")), Is.Null, "the ended windows are swept: the newcomer counts alone again");
        Assert.That(throttle.TryKey(IPAddress.Parse("198.51.100.4")), Is.Null);
        Assert.That(throttle.TryKey(IPAddress.Parse("198.51.100.4")), Is.Null);
        Assert.That(throttle.TryKey(IPAddress.Parse("198.51.100.4")), Is.Not.Null);
    }
}
