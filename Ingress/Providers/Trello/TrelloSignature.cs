using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Ingress.Providers.Trello;

/// <summary><c>X-Trello-Webhook = base64(HMAC-SHA1(app secret, body + callback URL))</c>, the URL exactly as registered.</summary>
public static class TrelloSignature
{
    public static SignatureCheck Check(string? header, string? secret, ReadOnlySpan<byte> body, string callbackUrl)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return SignatureCheck.NoSecret;
        }
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.NotSigned;
        }
        var url = Encoding.UTF8.GetBytes(callbackUrl);
        var signed = new byte[body.Length + url.Length];
        body.CopyTo(signed);
        url.CopyTo(signed.AsSpan(body.Length));
        var key = Encoding.UTF8.GetBytes(secret);
        try
        {
            return Hmac.FixedTimeEqualsBase64(header, HMACSHA1.HashData(key, signed)) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
