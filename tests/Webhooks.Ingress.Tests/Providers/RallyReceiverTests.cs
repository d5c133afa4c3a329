using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Rally;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class RallyReceiverTests
{
    private readonly RallyReceiver _receiver = new();
    private static byte[] Created => PayloadFixtures.Read(Provider.Rally, "investment.created.json");

    [Test]
    public void Matching_subscription_is_accepted_as_the_sender_but_not_as_signed()
    {
        Assert.That(_receiver.CheckSignature(Received(Created), null, new IntegrationSettings { SubscriptionId = "59351" }), Is.EqualTo(SignatureCheck.SenderMatched));
    }

    [Test]
    public void Another_subscription_is_a_mismatch()
    {
        Assert.That(_receiver.CheckSignature(Received(Created), null, new IntegrationSettings { SubscriptionId = "1" }), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Unreadable_body_cannot_prove_its_subscription()
    {
        Assert.That(_receiver.CheckSignature(Received(Utf8("{")), null, new IntegrationSettings { SubscriptionId = "59351" }), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Message_id_is_kept_as_the_source_delivery_id()
    {
        Assert.That(_receiver.FindSourceDeliveryId(Received(Created)), Is.EqualTo("a51f6dc9-c049-457a-93c1-21faeffd52e4"));
    }
}
