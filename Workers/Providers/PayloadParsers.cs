using System.Diagnostics.CodeAnalysis;
using Webhooks.Contracts;

namespace Webhooks.Workers.Providers;

/// <summary>The registered parsers, by provider.</summary>
public sealed class PayloadParsers(IEnumerable<IPayloadParser> parsers)
{
    private readonly Dictionary<Provider, IPayloadParser> _byProvider = parsers.ToDictionary(p => p.Provider);

    public bool TryGet(Provider provider, [NotNullWhen(true)] out IPayloadParser? parser) => _byProvider.TryGetValue(provider, out parser);
}
