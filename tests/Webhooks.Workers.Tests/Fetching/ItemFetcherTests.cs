using Webhooks.Persistence.Model;
using Webhooks.Workers.Changes;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers.Asana;
using Webhooks.Workers.Providers.Smartsheet;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;

namespace Webhooks.Workers.Tests.Fetching;

/// <summary>What the Asana and Smartsheet fetchers make of the item the API returns.</summary>
public sealed class ItemFetcherTests
{
    private static readonly DateTimeOffset At = new(2025, 9, 17, 13, 8, 55, TimeSpan.Zero);
    private static readonly IntegrationSettings NoSettings = new();
    private FakeProviderApi _fake = null!;

    [SetUp]
    public async Task Start_the_fake() => _fake = await StartAsync();

    [TearDown]
    public async Task Stop_the_fake() => await _fake.DisposeAsync();

    private ProviderApiSession Session() => Client().OpenSession("test", Guid.NewGuid(), _fake.BaseUrl, "token");

    private static ChangedInSender Skinny(string item, ItemReference fetch) => new(item, "key", At, "what the event names", fetch);

    /// <summary>The changes the fetched item shows; null when it is gone.</summary>
    private static async Task<IReadOnlyList<NormalizedChange>?> Changes(Task<FetchedItem> fetching) =>
        await fetching is { Gone: false } item ? item.Changes : null;

    private Task<IReadOnlyList<NormalizedChange>?> Asana(ItemReference fetch) =>
        Changes(new AsanaItemFetcher().FetchAsync(Skinny("7", fetch), Session(), NoSettings, CancellationToken.None));

    private Task<FetchedItem> Smartsheet(ItemReference fetch, IntegrationSettings? settings = null, string item = "5") =>
        new SmartsheetItemFetcher().FetchAsync(Skinny(item, fetch), Session(), settings ?? NoSettings, CancellationToken.None);

    private const string Task7 = """
        {"data":{"gid":"7","name":"Fetched name","notes":"Fetched notes","completed":false,
          "memberships":[{"section":{"gid":"400","name":"In Progress"}},{"section":{"gid":"401","name":"Doing"}}]}}
        """;

    [Test]
    public async Task Asana_completed_task_is_status_Completed()
    {
        _fake.On("tasks/7", Json("""{"data":{"gid":"7","completed":true,"memberships":[]}}"""));

        var change = (await Asana(new ItemReference("task", "7", Field: "completed")))!.Single();

        Assert.That(change, Is.EqualTo(new StatusChanged("7", "key", At, null, AsanaItemFetcher.Completed)));
        Assert.That(_fake.Requests.Single().Query, Is.EqualTo("?opt_fields=name,notes,completed,memberships.section.name"));
    }

    [Test]
    public async Task Asana_reopened_task_takes_its_section_name_as_status_and_a_section_move_the_named_section()
    {
        _fake.On("tasks/7", Json(Task7));

        var reopened = (await Asana(new ItemReference("task", "7", Field: "completed")))!.Single();
        var moved = (await Asana(new ItemReference("task", "7", Field: "section:401")))!.Single();

        Assert.That(((StatusChanged)reopened).NewStatus, Is.EqualTo("In Progress"));
        Assert.That(((StatusChanged)moved).NewStatus, Is.EqualTo("Doing"));
    }

    [Test]
    public async Task Asana_name_change_is_the_fetched_name_and_an_untyped_change_is_every_field_under_its_own_key()
    {
        _fake.On("tasks/7", Json(Task7));

        var name = (await Asana(new ItemReference("task", "7", Field: "name")))!.Single();
        var all = await Asana(new ItemReference("task", "7"));

        Assert.That(name, Is.EqualTo(new FieldChanged("7", "key", At, RecordFields.Name, null, "Fetched name")));
        Assert.That(all!.Select(c => c.SourceEventId), Is.EqualTo(new[] { "key:name", "key:notes", "key:completed" }));
        Assert.That(((FieldChanged)all![1]).NewValue, Is.EqualTo("Fetched notes"));
    }

    [Test]
    public async Task Asana_comment_story_is_a_comment_with_its_text_and_author()
    {
        _fake.On("stories/55", Json("""{"data":{"gid":"55","text":"Looks good","created_by":{"gid":"1","name":"Ada Asana"}}}"""));

        var added = (await Asana(new ItemReference("story", "55", Field: "added")))!.Single();
        var edited = (await Asana(new ItemReference("story", "55", Field: "changed")))!.Single();

        Assert.That(added, Is.EqualTo(new CommentAdded("7", "key", At, "55", "Looks good", "Ada Asana")));
        Assert.That(edited, Is.TypeOf<CommentEdited>());
    }

    [Test]
    public async Task Asana_comment_edit_whose_event_named_no_task_lands_on_the_storys_target_task()
    {
        _fake.On("stories/55", Json("""{"data":{"gid":"55","text":"Edited","created_by":{"name":"Ada Asana"},"target":{"gid":"8","resource_type":"task"}}}"""));

        var change = (await Changes(new AsanaItemFetcher().FetchAsync(Skinny("asana:story:55", new ItemReference("story", "55", Field: "changed", ItemUnknown: true)),
            Session(), NoSettings, CancellationToken.None)))!.Single();

        Assert.That(change, Is.EqualTo(new CommentEdited("8", "key", At, "55", "Edited", "Ada Asana")));
    }

    [Test]
    public async Task Asana_task_gone_is_null()
    {
        Assert.That(await Asana(new ItemReference("task", "7", Field: "name")), Is.Null);
    }

    private const string Row5 = """
        {"id":5,"sheetId":1,"columns":[{"id":100,"title":"Task Name","primary":true},{"id":200,"title":"Status"},{"id":300,"title":"Stage"},{"id":400,"title":"Points"}],
         "cells":[{"columnId":100,"value":"Row name","displayValue":"Row name"},{"columnId":200,"value":"Done","displayValue":"Done"},
                  {"columnId":300,"value":"Review"},{"columnId":400,"value":8}]}
        """;

    [TestCase("200", null, "status:Done")]
    [TestCase("300", "Stage", "status:Review")]
    [TestCase("100", null, "name:Row name")]
    [TestCase("400", null, "smartsheet:Points:8")]
    [TestCase("300", null, "smartsheet:Stage:Review")]
    public async Task Smartsheet_cell_change_reads_its_column_from_the_row(string column, string? statusColumn, string expected)
    {
        _fake.On("sheets/1/rows/5", Json(Row5));

        var change = (await Smartsheet(new ItemReference("row", "5", "1", column), new IntegrationSettings { StatusColumn = statusColumn })).Changes.Single();

        var actual = change switch
        {
            StatusChanged s => $"status:{s.NewStatus}",
            FieldChanged { Field: RecordFields.Name } f => $"name:{f.NewValue}",
            FieldChanged f => $"{f.Field}:{f.NewValue}",
            _ => change.GetType().Name,
        };
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(_fake.Requests.Single().Query, Is.EqualTo("?include=columns"));
    }

    // Shapes of GET /sheets/{sheetId}/comments/{commentId} and GET /sheets/{sheetId}/discussions/{discussionId}
    // (smartsheet-csharp-sdk Comment.cs and Discussion.cs: a comment names its discussionId, a discussion its parentType and parentId).
    private const string Comment90 = """{"id":90,"discussionId":80,"text":"Please check","createdBy":{"name":"Sam Sheet","email":"sam@example.test"},"createdAt":"2025-09-17T13:08:50Z"}""";

    private static string DiscussionOn(string parentType, long parentId) => $$$"""
        {"id":80,"title":"Please check","parentType":"{{{parentType}}}","parentId":{{{parentId}}},"accessLevel":"OWNER",
         "comments":[{"id":90,"discussionId":80,"text":"Please check","createdBy":{"name":"Sam Sheet"}},
                     {"id":91,"discussionId":80,"text":"On it","createdBy":{"name":"Ray Row"}}]}
        """;

    [Test]
    public async Task Smartsheet_comment_lands_on_the_row_its_discussion_names_under_a_key_of_its_own()
    {
        _fake.On("sheets/1/comments/90", Json(Comment90)).On("sheets/1/discussions/80", Json(DiscussionOn("ROW", 5)));

        var added = (await Smartsheet(new ItemReference("comment", "90", "1", "created", ItemUnknown: true), item: "smartsheet:comment:90")).Changes.Single();
        var edited = (await Smartsheet(new ItemReference("comment", "90", "1", "updated", ItemUnknown: true), item: "smartsheet:comment:90")).Changes.Single();

        Assert.That(added, Is.EqualTo(new CommentAdded("5", "smartsheet:1:comment:90:created", At, "90", "Please check", "Sam Sheet")));
        Assert.That(edited, Is.EqualTo(new CommentEdited("5", "key", At, "90", "Please check", "Sam Sheet")));
    }

    [Test]
    public async Task Smartsheet_discussion_on_a_row_brings_its_comments_under_the_same_keys_as_their_own_events()
    {
        _fake.On("sheets/1/discussions/80", Json(DiscussionOn("ROW", 5)));

        var changes = (await Smartsheet(new ItemReference("discussion", "80", "1", "created", ItemUnknown: true), item: "smartsheet:discussion:80")).Changes;

        Assert.That(changes, Is.EqualTo(new NormalizedChange[]
        {
            new CommentAdded("5", "smartsheet:1:comment:90:created", At, "90", "Please check", "Sam Sheet"),
            new CommentAdded("5", "smartsheet:1:comment:91:created", At, "91", "On it", "Ray Row"),
        }));
    }

    [Test]
    public async Task Smartsheet_discussion_on_the_sheet_and_a_comment_in_it_are_skipped_with_the_reason()
    {
        _fake.On("sheets/1/comments/90", Json(Comment90)).On("sheets/1/discussions/80", Json(DiscussionOn("SHEET", 1)));

        var discussion = await Smartsheet(new ItemReference("discussion", "80", "1", "created", ItemUnknown: true), item: "smartsheet:discussion:80");
        var comment = await Smartsheet(new ItemReference("comment", "90", "1", "created", ItemUnknown: true), item: "smartsheet:comment:90");

        Assert.That((discussion.Changes, discussion.Skipped), Is.EqualTo((Array.Empty<NormalizedChange>(), "Smartsheet discussion 80 is on the sheet, not a row: no record to apply it to.")));
        Assert.That(comment.Skipped, Does.Contain("comment 90").And.Contain("on the sheet, not a row"));
    }

    [Test]
    public async Task Smartsheet_comment_gone_is_not_found()
    {
        Assert.That((await Smartsheet(new ItemReference("comment", "90", "1", "created", ItemUnknown: true))).Gone, Is.True);
    }

    [Test]
    public async Task Smartsheet_cell_of_a_column_the_row_no_longer_has_stays_a_history_line()
    {
        _fake.On("sheets/1/rows/5", Json(Row5));

        var change = (await Smartsheet(new ItemReference("row", "5", "1", "999"))).Changes.Single();

        Assert.That(change, Is.EqualTo(new ChangedInSender("5", "key", At, "what the event names")));
    }
}
