using System.Globalization;

namespace Webhooks.Ingress.Console;

/// <summary>How the console writes times and counts, the same on every page.</summary>
public static class ConsoleText
{
    public static string Time(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "—";

    /// <summary>"3 min ago", for a list read at a glance; the exact time is in the cell's title.</summary>
    public static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } value)
        {
            return "never";
        }
        var age = now - value;
        return age.TotalSeconds switch
        {
            < 5 => "just now",
            < 60 => $"{(int)age.TotalSeconds} s ago",
            < 3600 => $"{(int)age.TotalMinutes} min ago",
            < 86400 => $"{(int)age.TotalHours} h ago",
            _ => $"{(int)age.TotalDays} d ago",
        };
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A value for an <c>input type="datetime-local"</c> (UTC, to the second), from a filter's time.</summary>
    public static string? LocalInput(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A whole number from a query parameter read as text (Blazor's own binding of an <c>int?</c> throws on a value that does
    /// not parse, an error page instead of a 400 naming it); absent or blank is null. False when it does not parse.
    /// </summary>
    public static bool TryReadWholeNumber(string? text, out int? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    /// <summary>A query string from the non-empty values, for links that keep the filters.</summary>
    public static string Query(params (string Name, string? Value)[] values)
    {
        var parts = values.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => $"{Uri.EscapeDataString(v.Name)}={Uri.EscapeDataString(v.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
