using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Trello;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class TrelloReceiverTests
{
    private readonly TrelloReceiver _receiver = new();

    [Test]
    public void Derived_vector_verifies_over_body_and_callback_url()
    {
        // No official vector: ASP.NET WebHooks' test inputs, recomputed (providers.md §7.3).
        var webhook = Received(Utf8("""{ "key": "value" }"""), "http://localhost/", ("X-Trello-Webhook", "X5U4dgEjJM7Gh5BQKz5PgKOm56I="));
        Assert.That(_receiver.CheckSignature(webhook, "12345678901234567890123456789012", new IntegrationSettings()), Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void Signature_made_for_another_callback_url_is_a_mismatch()
    {
        // A proxy that changes scheme or host must not change what is verified: the registered URL is used.
        var webhook = Received(Utf8("""{ "key": "value" }"""), "https://localhost/", ("X-Trello-Webhook", "X5U4dgEjJM7Gh5BQKz5PgKOm56I="));
        Assert.That(_receiver.CheckSignature(webhook, "12345678901234567890123456789012", new IntegrationSettings()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Garbage_signature_is_a_mismatch_not_an_error()
    {
        var webhook = Received(Utf8("{}"), "http://localhost/", ("X-Trello-Webhook", "%%% not base64 %%%"));
        Assert.That(_receiver.CheckSignature(webhook, "secret", new IntegrationSettings()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Action_id_is_kept_as_the_source_delivery_id()
    {
        var body = PayloadFixtures.Read(Provider.Trello, "commentCard.json");
        Assert.That(_receiver.FindSourceDeliveryId(Received(body)), Is.Not.Null.And.Length.EqualTo(24));
    }
}
