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
}
