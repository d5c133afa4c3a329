using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Webhooks.Contracts;

namespace Webhooks.Persistence;

public sealed class ProviderConverter() : ValueConverter<Provider, string>(
    value => value.ToWireName(),
    text => Parse(text))
{
    private static Provider Parse(string text) =>
        ProviderNames.TryParse(text, out var provider) ? provider.Value : throw new InvalidOperationException($"Unknown provider '{text}' in the database.");
}
