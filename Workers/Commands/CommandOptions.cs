using System.Globalization;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Commands;

/// <summary>
/// Option values the verbs share, converted here rather than by System.CommandLine: its conversion errors surface as
/// exceptions, not usage errors, and these messages say what is accepted.
/// </summary>
public static class CommandOptions
{
    public static IReadOnlyList<Provider> Providers(string[]? names)
    {
        if (names is not { Length: > 0 })
        {
            return ProviderNames.All;
        }
        return names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(n => ProviderNames.TryParse(n, out var provider)
                ? provider.Value
                : throw new UsageException($"Unknown provider '{n}'; known: {ProviderNames.Known}."))
            .Distinct()
            .ToList();
    }

    public static DeliveryStatus Status(string name, IReadOnlyList<DeliveryStatus> allowed) =>
        SnakeCaseEnumConverter<DeliveryStatus>.TryParse(name.Trim(), out var status) && allowed.Contains(status)
            ? status
            : throw new UsageException($"Unknown status '{name}'; known: {string.Join(", ", allowed.Select(SnakeCaseEnumConverter<DeliveryStatus>.ToName))}.");

    public static DateTimeOffset? Time(string? text, string option) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                ? at
                : throw new UsageException($"{option} '{text}' is not a date and time; use ISO 8601, e.g. 2026-11-22T20:00:00Z.");

    public static Guid Id(string text, string option) =>
        Guid.TryParse(text, out var id) ? id : throw new UsageException($"{option} '{text}' is not an id (a GUID such as 01a2050b-741b-774a-aeda-c59bf074a072).");

    public static int Positive(int value, string option) => value > 0 ? value : throw new UsageException($"{option} must be at least 1.");

    public static int NotNegative(int value, string option) => value >= 0 ? value : throw new UsageException($"{option} must be 0 or more.");
}
