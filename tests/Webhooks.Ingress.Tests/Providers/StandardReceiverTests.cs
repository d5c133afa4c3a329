using System.Text;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Standard;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

/// <summary>
/// Standard Webhooks verification against the specification's reference test vector, a real sender's (OpenAI's SDK
/// vector), and the rules of the specification: any one of several v1 signatures, other versions skipped, a timestamp
/// within 5 minutes either way, the key being the base64 after <c>whsec_</c>.
/// </summary>
public sealed class StandardReceiverTests
{
    private static readonly byte[] ReferenceBody = PayloadFixtures.Read(Provider.Standard, "reference_vector.json");
    private static readonly DateTimeOffset ReferenceTime = DateTimeOffset.FromUnixTimeSeconds(1614265330);
    private const string ReferenceId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string ReferenceSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static SignatureCheck Check(byte[] body, string? secret, DateTimeOffset now, params (string Name, string Value)[] headers) =>
        new StandardReceiver(new FakeTimeProvider(now)).CheckSignature(Received(body, headers), secret, new IntegrationSettings());

    private static (string, string)[] ReferenceHeaders(string signature = ReferenceSignature, string id = ReferenceId, string timestamp = "1614265330") =>
        [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", signature)];

    [Test]
    public void The_reference_libraries_vector_verifies()
    {
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, StandardSender.RecordedHeaders("reference_vector.json")),
            Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void OpenAIs_signed_delivery_verifies_at_its_timestamp()
    {
        var body = PayloadFixtures.Read(Provider.Standard, "response.completed.json");
        Assert.That(Check(body, StandardSender.OpenAiSecret, DateTimeOffset.FromUnixTimeSeconds(1750861210), StandardSender.RecordedHeaders("response.completed.json")),
            Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void Our_sender_and_the_vector_agree()
    {
        Assert.That(StandardSender.Sign(StandardSender.ReferenceSecret, ReferenceId, 1614265330, ReferenceBody), Is.EqualTo(ReferenceSignature));
    }

    [TestCase("""{"test": 2432232315}""", ReferenceId, "1614265330", TestName = "another body")]
    [TestCase("""{"test": 2432232314}""", "msg_p5jXN8AQM9LWM0D4loKWxJel", "1614265330", TestName = "another webhook-id")]
    [TestCase("""{"test": 2432232314}""", ReferenceId, "1614265331", TestName = "another webhook-timestamp")]
    public void A_signature_over_anything_else_is_a_mismatch(string body, string id, string timestamp)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(Check(Utf8(body), StandardSender.ReferenceSecret, now, ReferenceHeaders(id: id, timestamp: timestamp)), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Another_secret_is_a_mismatch()
    {
        Assert.That(Check(ReferenceBody, StandardSender.NewSecret(), ReferenceTime, ReferenceHeaders()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void The_key_is_the_decoded_base64_not_the_text()
    {
        // A receiver that keyed HMAC with the secret's characters would accept this; the specification's does not.
        var textKeyed = "v1," + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(StandardSender.ReferenceSecret), Utf8($"{ReferenceId}.1614265330.").Concat(ReferenceBody).ToArray()));
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders(textKeyed)), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Any_one_of_several_signatures_verifies_and_other_versions_are_skipped()
    {
        // The reference libraries' multi-signature case: wrong v1 entries and a v2 entry around the valid one.
        var several = string.Join(' ', "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            ReferenceSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=");
        Assert.Multiple(() =>
        {
            Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders(several)), Is.EqualTo(SignatureCheck.Valid));
            Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders("v1,bad  " + ReferenceSignature)),
                Is.EqualTo(SignatureCheck.Valid), "extra spaces between entries");
            Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders("v1,invalid_signature1 v1,invalid_signature2")),
                Is.EqualTo(SignatureCheck.Mismatch));
        });
    }

    [TestCase("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TestName = "the valid bytes under v1a (asymmetric)")]
    [TestCase("V1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TestName = "the valid bytes under V1")]
    [TestCase("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TestName = "the valid bytes with no version")]
    [TestCase("v1=g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TestName = "v1= instead of v1,")]
    [TestCase("v1,", TestName = "an empty v1")]
    [TestCase("v1,%%%not base64%%%", TestName = "garbage")]
    public void Only_a_v1_entry_is_compared(string signature)
    {
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders(signature)), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [TestCase(-300, SignatureCheck.Valid)]
    [TestCase(300, SignatureCheck.Valid)]
    [TestCase(-301, SignatureCheck.TimestampOutsideTolerance)]
    [TestCase(301, SignatureCheck.TimestampOutsideTolerance)]
    [TestCase(-86_400, SignatureCheck.TimestampOutsideTolerance)]
    public void The_timestamp_must_be_within_five_minutes_either_way(int receiverClockMinusTimestamp, SignatureCheck expected)
    {
        // receiverClockMinusTimestamp < 0: the request claims a time ahead of the receiver's clock.
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime.AddSeconds(receiverClockMinusTimestamp), ReferenceHeaders()),
            Is.EqualTo(expected));
    }

    [Test]
    public void A_stale_timestamp_is_refused_whatever_the_signature()
    {
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime.AddHours(1), ReferenceHeaders("v1,whatever")),
            Is.EqualTo(SignatureCheck.TimestampOutsideTolerance));
    }

    [TestCase("1614265330.0")]
    [TestCase("+1614265330")]
    [TestCase("-1614265330")]
    [TestCase(" 1614265330")]
    [TestCase("2021-02-25T15:02:10Z")]
    [TestCase("99999999999999999999")]
    public void A_timestamp_that_is_not_an_integer_of_seconds_is_a_mismatch(string timestamp)
    {
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders(timestamp: timestamp)), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void A_zero_padded_timestamp_is_signed_as_the_integer_it_is()
    {
        // The reference libraries read the header as an integer and sign that integer.
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, ReferenceHeaders(timestamp: "01614265330")), Is.EqualTo(SignatureCheck.Valid));
    }

    [TestCase("webhook-id")]
    [TestCase("webhook-timestamp")]
    [TestCase("webhook-signature")]
    public void A_missing_header_is_not_signed(string missing)
    {
        var headers = ReferenceHeaders().Where(h => h.Item1 != missing).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, headers), Is.EqualTo(SignatureCheck.NotSigned));
            Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, [.. headers, (missing, "")]), Is.EqualTo(SignatureCheck.NotSigned));
        });
    }

    [TestCase("webhook-signature", ReferenceSignature, TestName = "webhook-signature [valid, valid]")]
    [TestCase("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", TestName = "webhook-signature [valid, wrong]")]
    [TestCase("webhook-signature", "", TestName = "webhook-signature [valid, empty]")]
    [TestCase("webhook-id", ReferenceId, TestName = "webhook-id [same, same]")]
    [TestCase("webhook-id", "msg_other", TestName = "webhook-id [signed, other]")]
    [TestCase("webhook-timestamp", "1614265330", TestName = "webhook-timestamp [same, same]")]
    public void A_header_sent_twice_verifies_by_neither_value(string header, string second)
    {
        Assert.That(Check(ReferenceBody, StandardSender.ReferenceSecret, ReferenceTime, [.. ReferenceHeaders(), (header, second)]), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void No_secret_is_accepted_unverified()
    {
        Assert.That(Check(ReferenceBody, null, ReferenceTime, ReferenceHeaders()), Is.EqualTo(SignatureCheck.NoSecret));
    }

    [TestCase("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", TestName = "the base64 without its prefix")]
    [TestCase("whsec_", TestName = "the prefix alone")]
    [TestCase("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==", TestName = "broken padding")]
    public void A_stored_secret_that_is_not_a_whsec_secret_verifies_nothing(string secret)
    {
        Assert.That(Check(ReferenceBody, secret, ReferenceTime, ReferenceHeaders()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void The_webhook_id_is_the_source_delivery_id_and_the_signature_is_never_kept()
    {
        var receiver = new StandardReceiver(TimeProvider.System);
        Assert.Multiple(() =>
        {
            Assert.That(receiver.FindSourceDeliveryId(Received(ReferenceBody, ReferenceHeaders())), Is.EqualTo(ReferenceId));
            Assert.That(receiver.FindSourceDeliveryId(Received(ReferenceBody, [.. ReferenceHeaders(), ("webhook-id", "msg_other")])), Is.Null,
                "two ids name no one delivery");
            Assert.That(receiver.KeptHeaders, Is.EquivalentTo(new[] { "webhook-id", "webhook-timestamp" }));
        });
    }

    [TestCase("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, TestName = "24 bytes (the reference vector)")]
    [TestCase("whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=", true, TestName = "32 bytes (OpenAI's)")]
    [TestCase("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", true, TestName = "64 bytes")]
    [TestCase("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false, TestName = "66 bytes")]
    [TestCase("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", false, TestName = "22 bytes")]
    [TestCase("whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw", false, TestName = "a space inside")]
    [TestCase("whsec_MfKQ9r8GKYqrTwjU-D8ILPZIo2LaLaSw", false, TestName = "URL-safe base64")]
    [TestCase("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false, TestName = "the prefix in capitals")]
    public void A_secret_is_whsec_and_the_base64_of_24_to_64_bytes(string secret, bool wellFormed)
    {
        Assert.That(StandardSecret.Problem(secret), wellFormed ? Is.Null : Is.Not.Null);
        Assert.That(StandardSecret.Problem(secret) ?? "", Does.Not.Contain(secret["whsec_".Length..]), "a problem never quotes the secret");
    }
}
