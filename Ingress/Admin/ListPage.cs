namespace Webhooks.Ingress.Admin;

/// <summary>
/// A page of a short list (accounts, integrations): <c>page</c> from 1, <c>pageSize</c> rows, <c>total</c> rows matching.
/// The delivery log, which grows without end, is keyset-paged instead (<see cref="DeliveryLogPage"/>).
/// </summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total)
{
    public int Pages => Total == 0 ? 1 : (Total + PageSize - 1) / PageSize;
}

/// <summary>How the admin API and the console read <c>page</c>, <c>pageSize</c> and a search text.</summary>
public static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public const int MaxSearchLength = 200;
    public const string PageError = "The page must be between 1 and 1000000.";
    public static readonly string PageSizeError = $"The pageSize must be between 1 and {MaxPageSize}.";

    public static bool TryParse(int? page, int? pageSize, out int number, out int size, out string field, out string error)
    {
        (number, size, field, error) = (page ?? 1, pageSize ?? DefaultPageSize, "", "");
        if (number is < 1 or > 1_000_000)
        {
            (field, error) = ("page", PageError);
            return false;
        }
        if (size is < 1 or > MaxPageSize)
        {
            (field, error) = ("pageSize", PageSizeError);
            return false;
        }
        return true;
    }

    /// <summary>
    /// A search text (<c>q</c>) trimmed, null when blank; or why it cannot be searched: longer than
    /// <paramref name="maxLength"/>, or holding a NUL (<c>%00</c>), which PostgreSQL's text cannot take and would refuse
    /// as an error, not a 400.
    /// </summary>
    public static bool TryReadSearch(string? q, int maxLength, out string? text, out string error)
    {
        (text, error) = (string.IsNullOrWhiteSpace(q) ? null : q.Trim(), "");
        if (text is { Length: var length } && length > maxLength)
        {
            error = $"The search text is at most {maxLength} characters.";
            return false;
        }
        if (text is not null && text.Contains('\0', StringComparison.Ordinal))
        {
            error = "The search text contains a NUL character (%00), which no stored text holds.";
            return false;
        }
        return true;
    }

    /// <summary>Escapes a search text for <c>ILIKE … ESCAPE '\'</c> and wraps it in <c>%…%</c>.</summary>
    public static string ContainsPattern(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
