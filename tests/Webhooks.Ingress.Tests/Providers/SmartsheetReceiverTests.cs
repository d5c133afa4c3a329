using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Smartsheet;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class SmartsheetReceiverTests
{
    private const string SharedSecret = "smartsheet-shared-secret";
    private readonly SmartsheetReceiver _receiver = new();

    private static string Sign(byte[] body) => SenderSignatures.HexHmacSha256(SharedSecret, body);

    [Test]
    public void Base16_signature_of_a_real_callback_verifies_in_either_case()
    {
        // Smartsheet publishes no vector: this one is computed over a real callback body.
        var body = PayloadFixtures.Read(Provider.Smartsheet, "event_callback.rows_updated.json");
        Assert.Multiple(() =>
        {
            Assert.That(_receiver.CheckSignature(Received(body, ("Smartsheet-Hmac-SHA256", Sign(body))), SharedSecret, new IntegrationSettings()),
                Is.EqualTo(SignatureCheck.Valid));
            Assert.That(_receiver.CheckSignature(Received(body, ("Smartsheet-Hmac-SHA256", Sign(body).ToUpperInvariant())), SharedSecret, new IntegrationSettings()),
                Is.EqualTo(SignatureCheck.Valid));
        });
    }

    [Test]
    public void Signature_with_leading_zeros_dropped_still_verifies()
    {
        // Smartsheet's own Java sample formats with BigInteger.toString(16), which drops leading zeros.
        var body = Enumerable.Range(0, 10_000).Select(i => Utf8($"{{\"nonce\":\"{i}\"}}")).First(b => Sign(b).StartsWith('0'));
        var trimmed = Sign(body).TrimStart('0');
        Assert.That(_receiver.CheckSignature(Received(body, ("Smartsheet-Hmac-SHA256", trimmed)), SharedSecret, new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void Wrong_signature_is_a_mismatch()
    {
        var body = PayloadFixtures.Read(Provider.Smartsheet, "event_callback.row_created.json");
        Assert.That(_receiver.CheckSignature(Received(body, ("Smartsheet-Hmac-SHA256", Sign(Utf8("other")))), SharedSecret, new IntegrationSettings()),
            Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Nonce_is_kept_as_the_source_delivery_id()
    {
        var body = PayloadFixtures.Read(Provider.Smartsheet, "event_callback.row_created.json");
        Assert.That(_receiver.FindSourceDeliveryId(Received(body)), Is.Not.Null.And.Not.Empty);
    }
}
