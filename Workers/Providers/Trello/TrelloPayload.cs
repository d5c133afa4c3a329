using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Workers.Providers.Trello;

// The parts of a Trello webhook body the pipeline reads (docs: providers.md §7.1). Older deliveries have no
// `webhook` or `action.display`; nothing here needs them.

internal sealed class TrelloPayload
{
    public TrelloAction? Action { get; set; }
}

internal sealed class TrelloAction
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public string? Date { get; set; }
    public TrelloActionData? Data { get; set; }
    public TrelloMember? MemberCreator { get; set; }
}

internal sealed class TrelloActionData
{
    public TrelloCard? Card { get; set; }

    /// <summary>The card's list: on <c>moveCardToBoard</c>, the list on the new board it was moved into.</summary>
    public TrelloList? List { get; set; }

    public TrelloList? ListBefore { get; set; }
    public TrelloList? ListAfter { get; set; }
    public string? Text { get; set; }

    /// <summary>The changed fields' previous values: <c>name</c>, <c>desc</c>, <c>closed</c>, <c>idList</c>, <c>pos</c>, <c>text</c>, …</summary>
    public Dictionary<string, JsonElement>? Old { get; set; }

    /// <summary>On <c>updateComment</c> and <c>deleteComment</c>: the comment (a <c>commentCard</c> action).</summary>
    public TrelloCommentAction? Action { get; set; }
}

internal sealed class TrelloCard
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Desc { get; set; }
    public bool? Closed { get; set; }
}

internal sealed class TrelloList
{
    public string? Id { get; set; }
    public string? Name { get; set; }
}

internal sealed class TrelloCommentAction
{
    public string? Id { get; set; }
    public string? Text { get; set; }
}

internal sealed class TrelloMember
{
    public string? FullName { get; set; }
    public string? Username { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TrelloPayload))]
internal sealed partial class TrelloJsonContext : JsonSerializerContext;
