using System.Text.Json;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Tests;

/// <summary>RFC 6901 JSON Pointers, as settings.mapping uses them: the RFC's own examples (section 5) and its rules.</summary>
public sealed class JsonPointerTests
{
    /// <summary>The example document of RFC 6901 section 5.</summary>
    private const string RfcDocument = """
        {
           "foo": ["bar", "baz"],
           "": 0,
           "a/b": 1,
           "c%d": 2,
           "e^f": 3,
           "g|h": 4,
           "i\\j": 5,
           "k\"l": 6,
           " ": 7,
           "m~n": 8
        }
        """;

    [TestCase("", RfcDocument)]
    [TestCase("/foo", """["bar", "baz"]""")]
    [TestCase("/foo/0", "\"bar\"")]
    [TestCase("/", "0")]
    [TestCase("/a~1b", "1")]
    [TestCase("/c%d", "2")]
    [TestCase("/e^f", "3")]
    [TestCase("/g|h", "4")]
    [TestCase("/i\\j", "5")]
    [TestCase("/k\"l", "6")]
    [TestCase("/ ", "7")]
    [TestCase("/m~0n", "8")]
    public void The_RFCs_examples_resolve_as_the_RFC_says(string pointer, string expected)
    {
        using var document = JsonDocument.Parse(RfcDocument);
        using var value = JsonDocument.Parse(expected);

        Assert.That(JsonPointer.Parse(pointer).TryResolve(document.RootElement, out var found), Is.True);
        Assert.That(JsonElement.DeepEquals(found, value.RootElement), Is.True, found.GetRawText());
    }

    [Test]
    public void Escapes_are_read_left_to_right()
    {
        // "~01" is "~" then "1", never "/": the RFC's own warning.
        using var document = JsonDocument.Parse("""{"~1": "tilde one", "/": "slash"}""");
        Assert.That(JsonPointer.Parse("/~01").TryResolve(document.RootElement, out var found) ? found.GetString() : null, Is.EqualTo("tilde one"));
    }

    [TestCase("/foo/2", TestName = "past the end")]
    [TestCase("/foo/-", TestName = "the element after the last")]
    [TestCase("/foo/01", TestName = "a leading zero")]
    [TestCase("/foo/+1", TestName = "a sign")]
    [TestCase("/foo/1/x", TestName = "into a string")]
    [TestCase("/bar", TestName = "a missing member")]
    [TestCase("/FOO", TestName = "another case")]
    [TestCase("/foo/99999999999", TestName = "an index past any int")]
    public void A_pointer_to_nothing_resolves_to_nothing(string pointer)
    {
        using var document = JsonDocument.Parse(RfcDocument);
        Assert.That(JsonPointer.Parse(pointer).TryResolve(document.RootElement, out _), Is.False);
    }

    [TestCase("foo", "starts with '/'")]
    [TestCase("#/foo", "URI-fragment form")]
    [TestCase("/foo~", "'~' at position 4")]
    [TestCase("/foo~2", "'~' at position 4")]
    [TestCase("/~a/b", "'~' at position 1")]
    public void A_malformed_pointer_is_refused_with_the_reason(string pointer, string reason)
    {
        Assert.That(JsonPointer.TryParse(pointer, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }
}
