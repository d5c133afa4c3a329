using Microsoft.Extensions.Logging.Abstractions;
using Webhooks.Contracts;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Providers;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>The one place a delivery is parsed: whatever a parser does, the outcome is a result, never an exception.</summary>
public sealed class PayloadParsersTests
{
    [Test]
    public void A_parser_that_throws_fails_the_delivery_with_the_reason_instead_of_retrying_it()
    {
        // Parsers are pure: another attempt reads the same bytes and throws again. Retried, it would be dead-lettered.
        var parsers = new PayloadParsers([new ThrowingParser()], NullLogger<PayloadParsers>.Instance);

        var result = parsers.Parse(Provider.Jira, PayloadFixtures.Read(Provider.Jira, "comment_created.json"), new Dictionary<string, string>());

        Assert.That(result.Outcome, Is.EqualTo(ParseOutcome.Failed));
        Assert.That(result.Reason, Does.Contain("ArgumentOutOfRangeException").And.Contain("no such time"));
    }

    [Test]
    public void A_provider_without_a_parser_fails_with_the_reason()
    {
        var parsers = new PayloadParsers([], NullLogger<PayloadParsers>.Instance);

        var result = parsers.Parse(Provider.Trello, "{}"u8.ToArray(), new Dictionary<string, string>());

        Assert.That((result.Outcome, result.Reason), Is.EqualTo((ParseOutcome.Failed, "No payload parser for provider Trello yet.")));
    }

    [Test]
    public void Every_text_a_parser_returns_is_free_of_NUL_ids_and_keys_included()
    {
        var parsers = new PayloadParsers([new NulParser()], NullLogger<PayloadParsers>.Instance);

        var change = (CommentAdded)parsers.Parse(Provider.Jira, "{}"u8.ToArray(), new Dictionary<string, string>()).Changes.Single();

        Assert.That(new[] { change.ExternalItemId, change.SourceEventId, change.CommentId, change.Body, change.Author },
            Has.All.Not.Contain("\0").And.All.Contain(SenderText.NulReplacement.ToString()));
    }

    /// <summary>
    /// Half a surrogate pair is no text PostgreSQL can store (Npgsql's UTF-8 encoder refuses it): in a change or a
    /// reason it becomes U+FFFD, as NUL does, and a whole pair (an emoji) is kept.
    /// </summary>
    [Test]
    public void Every_text_and_reason_a_parser_returns_is_free_of_half_surrogate_pairs()
    {
        var parsers = new PayloadParsers([new LoneSurrogateParser()], NullLogger<PayloadParsers>.Instance);

        var change = (CommentAdded)parsers.Parse(Provider.Jira, "{}"u8.ToArray(), new Dictionary<string, string>()).Changes.Single();
        var failed = ParseResult.Failed("'\uD800', hexadecimal value 0xD800, is an invalid character; and \uDC00 alone");

        Assert.That(new[] { change.ExternalItemId, change.SourceEventId, change.CommentId, change.Body, change.Author, failed.Reason },
            Has.All.Matches<string>(text => !HasLoneSurrogate(text)).And.All.Contain(SenderText.NulReplacement.ToString()));
        Assert.That(change.Body, Is.EqualTo("ok \uFFFD then \uD83D\uDE00 kept"));
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }
        return false;
    }

    private sealed class LoneSurrogateParser : IPayloadParser
    {
        public Provider Provider => Provider.Jira;

        public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers) =>
            ParseResult.Parsed([new CommentAdded("1\uD8000", "key\uDC00", DateTimeOffset.UnixEpoch, "c\uDBFF", "ok \uD800 then \uD83D\uDE00 kept", "\uDFFFx")]);
    }

    private sealed class ThrowingParser : IPayloadParser
    {
        public Provider Provider => Provider.Jira;

        public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers) =>
            throw new ArgumentOutOfRangeException(nameof(body), "no such time");
    }

    private sealed class NulParser : IPayloadParser
    {
        public Provider Provider => Provider.Jira;

        public ParseResult Parse(ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string> headers) =>
            ParseResult.Parsed([new CommentAdded("1\00", "key\0", DateTimeOffset.UnixEpoch, "c\0", "a\0b", "x\0y")]);
    }
}
