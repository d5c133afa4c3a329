using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Jira;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class JiraReceiverTests
{
    private const string Secret = "It's a Secret to Everybody";
    private const string OfficialSignature = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9";
    private readonly JiraReceiver _receiver = new();

    [Test]
    public void Official_vector_verifies()
    {
        // Atlassian's documented example: note "Hello World!" has no comma (GitHub's has one).
        Assert.That(_receiver.CheckSignature(Received(Utf8("Hello World!"), ("X-Hub-Signature", OfficialSignature)), Secret, new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void GitHub_punctuation_does_not_verify_with_Jira_signature()
    {
        Assert.That(_receiver.CheckSignature(Received(Utf8("Hello, World!"), ("X-Hub-Signature", OfficialSignature)), Secret, new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Wrong_secret_is_a_mismatch()
    {
        Assert.That(_receiver.CheckSignature(Received(Utf8("Hello World!"), ("X-Hub-Signature", OfficialSignature)), "another secret", new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Unknown_method_prefix_is_a_mismatch()
    {
        var sha1Style = OfficialSignature.Replace("sha256=", "sha1=", StringComparison.Ordinal);
        Assert.That(_receiver.CheckSignature(Received(Utf8("Hello World!"), ("X-Hub-Signature", sha1Style)), Secret, new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Webhook_identifier_is_kept_as_the_source_delivery_id()
    {
        Assert.That(_receiver.FindSourceDeliveryId(Received(Utf8("{}"), ("X-Atlassian-Webhook-Identifier", "1234-abcd"))), Is.EqualTo("1234-abcd"));
    }
}
