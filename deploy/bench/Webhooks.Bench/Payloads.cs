using System.Text;

namespace Webhooks.Bench;

/// <summary>The benchmark's Jira comment_created body: the template with __COMMENT__ and __ISSUE__ filled in.</summary>
public sealed class Payloads(string template, long idBase, int issues)
{
    private long _counter;

    public static Payloads Load(string templatePath, long idBase, int issues) =>
        new(File.ReadAllText(templatePath).TrimEnd(), idBase, issues);

    /// <summary>A fresh comment id and its body.</summary>
    public (string CommentId, byte[] Body) Next()
    {
        var n = Interlocked.Increment(ref _counter);
        var comment = (idBase + n).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var issue = (10000 + n % issues).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (comment, Encoding.UTF8.GetBytes(template.Replace("__COMMENT__", comment, StringComparison.Ordinal).Replace("__ISSUE__", issue, StringComparison.Ordinal)));
    }
}
