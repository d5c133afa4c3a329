using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Testing;

/// <summary>The real payloads each sender sent (tests/Fixtures/Providers, SOURCES.md says where each came from).</summary>
public static class PayloadFixtures
{
    public static string Folder(Provider provider) =>
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "Providers", provider.ToString());

    public static byte[] Read(Provider provider, string fileName) => File.ReadAllBytes(Path.Combine(Folder(provider), fileName));

    public static string ReadText(Provider provider, string fileName) => File.ReadAllText(Path.Combine(Folder(provider), fileName));

    /// <summary>Every payload of a provider (not the recorded headers), for TestCaseSource.</summary>
    public static IEnumerable<string> All(Provider provider) =>
        Directory.EnumerateFiles(Folder(provider))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !name.EndsWith(".headers.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The headers recorded with a payload (<c>&lt;name&gt;.headers.json</c>), or none.</summary>
    public static Dictionary<string, string> RecordedHeaders(Provider provider, string fileName)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var recorded = Path.Combine(Folder(provider), Path.GetFileNameWithoutExtension(fileName) + ".headers.json");
        if (File.Exists(recorded))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(recorded));
            foreach (var header in json.RootElement.EnumerateObject())
            {
                headers[header.Name] = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
            }
        }
        return headers;
    }

    /// <summary>A seed for a payload's random variations that is the same on every run and machine (string hash codes are not).</summary>
    public static int StableSeed(Provider provider, string fileName) =>
        fileName.Aggregate((int)provider, (seed, c) => unchecked((seed * 31) + c));
}
