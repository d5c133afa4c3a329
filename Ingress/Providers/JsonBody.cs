using System.Text.Json;

namespace Webhooks.Ingress.Providers;

/// <summary>
/// Reads one value out of a JSON body at the door (a delivery id, a subscription id). A body that is not JSON, or a
/// value that is not text (invalid UTF-8 or an escaped lone surrogate inside the quotes, which the reader only finds
/// when it decodes the string), gives null: judging it is the worker's job, which records the error on the delivery.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static string? Find(ReadOnlyMemory<byte> body, params ReadOnlySpan<string> path)
    {
        if (body.IsEmpty)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(body, Options);
            var element = document.RootElement;
            foreach (var name in path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }
            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Number => element.GetRawText(),
                _ => null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
