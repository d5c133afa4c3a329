using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Ingress.Console;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>Whose wrong admin keys count together (the console's sign-in and the admin API share this count).</summary>
public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-02T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private SignInThrottle Throttle() =>
        new(Options.Create(new ConsoleOptions { SignInFailureLimit = 3, SignInFailureWindow = TimeSpan.FromMinutes(15) }), _clock);

    [Test]
    public void Addresses_of_one_IPv6_64_block_count_together_and_another_block_does_not()
    {
        var throttle = Throttle();

        foreach (var address in new[] { "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff" })
        {
            throttle.RecordFailure(IPAddress.Parse(address));
        }

        Assert.Multiple(() =>
        {
            Assert.That(throttle.BlockedUntil(IPAddress.Parse("2001:db8:1:2:abcd::9")), Is.EqualTo(_clock.GetUtcNow().AddMinutes(15)));
            Assert.That(throttle.BlockedUntil(IPAddress.Parse("2001:db8:1:3::1")), Is.Null, "the next /64 is another subscriber");
        });
    }

    [Test]
    public void An_IPv4_address_counts_alone_also_when_it_arrives_over_IPv6()
    {
        var throttle = Throttle();

        throttle.RecordFailure(IPAddress.Parse("198.51.100.7"));
        throttle.RecordFailure(IPAddress.Parse("::ffff:198.51.100.7"));
        throttle.RecordFailure(IPAddress.Parse("198.51.100.7"));

        Assert.Multiple(() =>
        {
            Assert.That(throttle.BlockedUntil(IPAddress.Parse("::ffff:198.51.100.7")), Is.Not.Null);
            Assert.That(throttle.BlockedUntil(IPAddress.Parse("198.51.100.8")), Is.Null);
        });
    }

    [Test]
    public void The_block_ends_with_its_window()
    {
        var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            throttle.RecordFailure(IPAddress.Parse("203.0.113.1"));
        }

        _clock.Advance(TimeSpan.FromMinutes(15));

        Assert.That(throttle.BlockedUntil(IPAddress.Parse("203.0.113.1")), Is.Null);
    }
}
