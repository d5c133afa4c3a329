using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Webhook;

/// <summary>The stored hash of a token: the same for any case of it, and never made from something that is not a token.</summary>
public sealed class WebhookTokenTests
{
    [Test]
    public void A_token_in_upper_case_hashes_like_the_one_issued()
    {
        var token = WebhookToken.New();
        var hex = new char[WebhookToken.HashHexLength];
        WebhookToken.HashHex(token.ToUpperInvariant(), hex);

        Assert.Multiple(() =>
        {
            Assert.That(WebhookToken.Hash(token.ToUpperInvariant()), Is.EqualTo(WebhookToken.Hash(token)));
            Assert.That(new string(hex), Is.EqualTo(Convert.ToHexString(WebhookToken.Hash(token))));
        });
    }

    [TestCase("")]
    [TestCase("0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcdef00")]
    [TestCase("0123456789abcdef0123456789abcdeé")]
    public void Something_that_is_not_a_token_has_no_hash(string notAToken) =>
        Assert.That(() => WebhookToken.Hash(notAToken), Throws.ArgumentException);
}
