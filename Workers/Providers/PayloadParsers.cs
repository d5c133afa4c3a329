using Microsoft.Extensions.Logging;
using Webhooks.Contracts;

namespace Webhooks.Workers.Providers;

/// <summary>The registered parsers, by provider, and the one place a delivery's payload is parsed.</summary>
public sealed class PayloadParsers(IEnumerable<IPayloadParser> parsers, ILogger<PayloadParsers> logger)
{
    private readonly Dictionary<Provider, IPayloadParser> _byProvider = parsers.ToDictionary(p => p.Provider);

    /// <summary>
    /// Parses with the provider's parser. Parsers are pure and promise never to throw; one that does anyway has met a
    /// payload it cannot read, which another attempt cannot change. So the delivery fails with the reason instead of
    /// being retried (and dead-lettered) as if the database were down.
    /// </summary>
    public ParseResult Parse(Provider provider, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        if (!_byProvider.TryGetValue(provider, out var parser))
        {
            return ParseResult.Failed($"No payload parser for provider {provider} yet.");
        }
        try
        {
            return parser.Parse(body, headers);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            Log.ParserThrew(logger, provider, e.GetType().Name, e.StackTrace);
            return ParseResult.Failed($"The {provider} payload could not be read ({e.GetType().Name}: {e.Message}).");
        }
    }
}
