using Microsoft.Extensions.Logging;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Providers;

/// <summary>
/// The registered parsers, by provider, and the one way a delivery's payload is parsed (for Asana and Smartsheet both the
/// fetch step and the transaction parse it: parsing is pure and cheap beside the API call).
/// </summary>
public sealed class PayloadParsers(IEnumerable<IPayloadParser> parsers, ILogger<PayloadParsers> logger)
{
    private readonly Dictionary<Provider, IPayloadParser> _byProvider = parsers.ToDictionary(p => p.Provider);

    /// <summary>
    /// Parses with the provider's parser. Parsers are pure and promise never to throw; one that does anyway has met a
    /// payload it cannot read, which another attempt cannot change. So the delivery fails with the reason instead of
    /// being retried (and dead-lettered) as if the database were down. With the <paramref name="integration"/> that
    /// received the delivery, a parser that reads its settings (Standard Webhooks' mapping) gets them.
    /// </summary>
    public ParseResult Parse(Provider provider, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers, Integration? integration = null)
    {
        if (!_byProvider.TryGetValue(provider, out var parser))
        {
            return ParseResult.Failed($"No payload parser for provider {provider} yet.");
        }
        try
        {
            return integration is null ? parser.Parse(body, headers) : parser.Parse(body, headers, integration);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            Log.ParserThrew(logger, provider, e.GetType().Name, e.StackTrace);
            return ParseResult.Failed($"The {provider} payload could not be read ({e.GetType().Name}: {e.Message}).");
        }
    }
}
