using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.GitHub;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class GitHubReceiverTests
{
    private const string Secret = "It's a Secret to Everybody";
    private readonly GitHubReceiver _receiver = new();

    [Test]
    public void Official_vector_verifies()
    {
        // GitHub's documented example (validating-webhook-deliveries).
        var webhook = Received(Utf8("Hello, World!"), ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
        Assert.That(_receiver.CheckSignature(webhook, Secret, new IntegrationSettings()), Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void Signature_for_another_body_is_a_mismatch()
    {
        var webhook = Received(Utf8("Hello, World?"), ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
        Assert.That(_receiver.CheckSignature(webhook, Secret, new IntegrationSettings()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Missing_signature_with_a_secret_is_not_signed()
    {
        Assert.That(_receiver.CheckSignature(Received(Utf8("{}")), Secret, new IntegrationSettings()), Is.EqualTo(SignatureCheck.NotSigned));
    }

    [Test]
    public void Signed_but_no_secret_configured_is_accepted_unverified()
    {
        var webhook = Received(Utf8("{}"), ("X-Hub-Signature-256", "sha256=00"));
        Assert.That(_receiver.CheckSignature(webhook, null, new IntegrationSettings()), Is.EqualTo(SignatureCheck.NoSecret));
    }

    [Test]
    public void Ping_is_a_handshake_and_issues_are_not()
    {
        var ping = PayloadFixtures.Read(Provider.GitHub, "ping.json");
        Assert.Multiple(() =>
        {
            Assert.That(_receiver.IsHandshake(Received(ping, ("X-GitHub-Event", "ping"))), Is.True);
            Assert.That(_receiver.IsHandshake(Received(ping, ("X-GitHub-Event", "issues"))), Is.False);
        });
    }

    [Test]
    public void Delivery_guid_is_kept_as_the_source_delivery_id()
    {
        var webhook = Received(Utf8("{}"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        Assert.That(_receiver.FindSourceDeliveryId(webhook), Is.EqualTo("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    }
}
