using System.Text;
using Microsoft.AspNetCore.Http;
using Webhooks.Ingress.Providers;

namespace Webhooks.Ingress.Tests.Providers;

internal static class ReceiverTestKit
{
    public static ReceivedWebhook Received(byte[] body, params (string Name, string Value)[] headers) =>
        Received(body, "https://webhooks.example.test/api/v1/webhooks/0123456789abcdef0123456789abcdef", headers);

    public static ReceivedWebhook Received(byte[] body, string callbackUrl, params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }
        return new ReceivedWebhook(body, dictionary, callbackUrl);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
