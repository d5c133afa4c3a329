using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Providers;

/// <summary>
/// The provider seam of the pipeline: turns one stored delivery's raw body and kept headers into normalized changes.
/// Pure: no DbContext, no clock, no bus, so every recorded payload can drive a test.
/// Adding a provider = one implementation and one line in <see cref="ProvidersExtensions.AddPayloadParsers"/>.
/// </summary>
public interface IPayloadParser
{
    Provider Provider { get; }

    /// <summary>Never throws for bad input: a payload the sender would not send is <see cref="ParseOutcome.Failed"/>.</summary>
    ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers);

    /// <summary>
    /// The parse for the integration that received it. A sender whose events mean what the integration's settings say
    /// (Standard Webhooks' <c>settings.mapping</c>) reads them here; every other parser reads the payload alone.
    /// </summary>
    ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers, Integration integration) => Parse(body, headers);
}
