using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Webhooks.Persistence;

/// <summary>Stores <c>DeadLettered</c> as <c>dead_lettered</c>.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : ValueConverter<TEnum, string>(
    value => ToName(value),
    text => Parse(text))
    where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> Names =
        Enum.GetValues<TEnum>().ToFrozenDictionary(v => v, v => SnakeCase.From(v.ToString()));

    private static readonly FrozenDictionary<string, TEnum> Values =
        Names.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    public static string ToName(TEnum value) => Names[value];

    public static bool TryParse(string? text, out TEnum value) => Values.TryGetValue(text ?? "", out value);

    private static TEnum Parse(string text) =>
        Values.TryGetValue(text, out var value) ? value : throw new InvalidOperationException($"Unknown {typeof(TEnum).Name} '{text}' in the database.");
}
