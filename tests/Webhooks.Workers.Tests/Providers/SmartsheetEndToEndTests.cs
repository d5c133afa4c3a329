using System.Text;
using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Tests.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Providers;

/// <summary>
/// Smartsheet on the real stack, as a user sets it up: the integration, its shared secret and API token made through
/// the admin API, Smartsheet's callbacks signed with <c>Smartsheet-Hmac-SHA256</c> posted to the ingress, RabbitMQ to a
/// worker that consumes <c>webhooks-smartsheet</c>, and the row, comment or discussion read from a loopback fake of the API.
/// </summary>
public sealed class SmartsheetEndToEndTests : FetchingFixture
{
    // From event_callback.rows_updated.json: the sheet, the row whose status cell changed, and that column.
    private const string SheetId = "1229759569678212";
    private const string RowId = "6151780615131012";
    private const string OtherRowId = "2862041824825220";
    // From event_callback.comment_created.json: its sheet, discussion and comment; the row is the documented example's.
    private const string CommentSheetId = "4509506114742148";
    private const string DiscussionId = "1983748281673604";
    private const string CommentId = "6487347909044100";
    private const string CommentRowId = "7129509179746180";
    private const string Token = "smartsheet-token-do-not-log-42";
    private const string SharedSecret = "3qo29mvjou6xt5fujukjtwzhj0";

    protected override string[] WorkerArguments => ["--Workers:Providers=smartsheet", $"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}", .. QuickFetching];

    private async Task<CreatedIntegration> SmartsheetIntegrationAsync(Tenant tenant, bool credentials = true)
    {
        var mappings = new Dictionary<string, string> { ["Done"] = "shipped" };
        object settings = credentials
            ? new { statusMappings = mappings, apiBaseUrl = Api.BaseUrl.ToString(), apiToken = Token, statusColumn = "Stage" }
            : new { statusMappings = mappings };
        return await Ingress.Admin.CreateIntegrationAsync(tenant, "smartsheet", settings, signingSecret: SharedSecret);
    }

    /// <summary>Posts the callback as Smartsheet does (signed with the webhook's sharedSecret) and waits for its outcome.</summary>
    private async Task<Delivery> DeliverAsync(CreatedIntegration integration, byte[] body)
    {
        var deliveryId = await Ingress.PostWebhookAsync(integration, body,
            new Dictionary<string, string> { ["Smartsheet-Hmac-SHA256"] = SenderSignatures.HexHmacSha256(SharedSecret, body) });
        return await WaitForOutcomeAsync(deliveryId);
    }

    private static byte[] RowsUpdated => PayloadFixtures.Read(Provider.Smartsheet, "event_callback.rows_updated.json");

    private static byte[] CommentCreated => PayloadFixtures.Read(Provider.Smartsheet, "event_callback.comment_created.json");

    // GET /sheets/{sheetId}/discussions/{discussionId} and GET /sheets/{sheetId}/comments/{commentId} as the SDKs model
    // them (smartsheet-csharp-sdk Discussion.cs, Comment.cs): the discussion names its parent, the comment its discussion.
    private static string Discussion(string parentType, string parentId) => $$$"""
        {"id":{{{DiscussionId}}},"title":"Blocked on legal","parentType":"{{{parentType}}}","parentId":{{{parentId}}},"accessLevel":"OWNER",
         "comments":[{"id":{{{CommentId}}},"discussionId":{{{DiscussionId}}},"text":"Blocked on legal","createdBy":{"name":"Sam Sheet","email":"sam@example.test"},
                      "createdAt":"2015-10-27T17:06:01Z","modifiedAt":"2015-10-27T17:06:01Z"}]}
        """;

    private static string Comment(string text) => $$"""
        {"id":{{CommentId}},"discussionId":{{DiscussionId}},"text":"{{text}}","createdBy":{"name":"Sam Sheet","email":"sam@example.test"},
         "createdAt":"2015-10-27T17:06:01Z","modifiedAt":"2015-10-27T17:09:30Z"}
        """;

    [Test]
    public async Task Status_cell_through_two_webhooks_sets_the_mapped_status_once_as_the_run_as_user()
    {
        Api.On($"sheets/{SheetId}/rows/{RowId}", Json("""
            {"id":6151780615131012,"columns":[{"id":1,"title":"Task","primary":true},{"id":2477271520333700,"title":"Stage"}],
             "cells":[{"columnId":1,"value":"Row"},{"columnId":2477271520333700,"value":"Done","displayValue":"Done"}]}
            """));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var first = await SmartsheetIntegrationAsync(tenant);
        var second = await SmartsheetIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, first, RowId);

        var applied = await DeliverAsync(first, RowsUpdated);
        var again = await DeliverAsync(second, RowsUpdated);

        // The linked row: row.updated (history) and its Stage cell (status). The other row links to nothing.
        Assert.That((applied.Status, applied.Applied, applied.Duplicates, applied.NoTarget, applied.LastError),
            Is.EqualTo((DeliveryStatus.Processed, 2, 0, 2, (string?)null)));
        Assert.That((again.Applied, again.Duplicates, again.NoTarget), Is.EqualTo((0, 2, 2)));
        var shown = await Ingress.Admin.GetRecordAsync(record);
        Assert.That((shown.GetProperty("status").GetString(), shown.GetProperty("updatedByUserId").GetGuid()), Is.EqualTo(("shipped", tenant.UserId)));
        Assert.That(History(shown), Is.EquivalentTo(new[] { ("changed in smartsheet", "row updated"), ("status_changed", "shipped") }));
        Assert.That(Api.Requests.Select(r => r.Path), Has.None.Contains(OtherRowId), "a row no record links to is not fetched");
        Assert.That(Api.Requests.Select(r => r.Authorization), Is.Not.Empty.And.All.EqualTo($"Bearer {Token}"));
    }

    [Test]
    public async Task Comment_on_a_row_arrives_through_its_discussion_and_its_edit_changes_it()
    {
        Api.On($"sheets/{CommentSheetId}/discussions/{DiscussionId}", Json(Discussion("ROW", CommentRowId)))
            .On($"sheets/{CommentSheetId}/comments/{CommentId}", Json(Comment("Blocked on legal")));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await SmartsheetIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, CommentRowId);

        var delivery = await DeliverAsync(integration, CommentCreated);

        // The discussion event and the comment event both bring the comment: it is added once.
        Assert.That((delivery.Status, delivery.Applied, delivery.Duplicates, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 1, 1, (string?)null)));
        var comment = (await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray().Single();
        Assert.That((comment.GetProperty("body").GetString(), comment.GetProperty("sourceAuthor").GetString(), comment.GetProperty("sourceExternalId").GetString(),
                comment.GetProperty("authorUserId").GetGuid(), comment.GetProperty("sourceProvider").GetString()),
            Is.EqualTo(("Blocked on legal", "Sam Sheet", CommentId, tenant.UserId, "smartsheet")));
        Assert.That(Api.CountOf($"sheets/{CommentSheetId}/discussions/{DiscussionId}"), Is.EqualTo(1), "one read of the discussion serves both events");

        Api.On($"sheets/{CommentSheetId}/comments/{CommentId}", Json(Comment("Cleared by legal")));
        var edited = Encoding.UTF8.GetBytes(SmartsheetPayloadParserTests.CallbackOf(CommentSheetId,
            SmartsheetPayloadParserTests.Event("comment", "updated", id: long.Parse(CommentId, System.Globalization.CultureInfo.InvariantCulture), timestamp: "2015-10-27T17:09:30.000+0000")));

        var edit = await DeliverAsync(integration, edited);

        Assert.That((edit.Status, edit.Applied), Is.EqualTo((DeliveryStatus.Processed, 1)), edit.LastError);
        Assert.That((await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").EnumerateArray().Single().GetProperty("body").GetString(), Is.EqualTo("Cleared by legal"));
    }

    [Test]
    public async Task Discussion_on_the_sheet_is_ignored_with_the_reason()
    {
        Api.On($"sheets/{CommentSheetId}/discussions/{DiscussionId}", Json(Discussion("SHEET", CommentSheetId)))
            .On($"sheets/{CommentSheetId}/comments/{CommentId}", Json(Comment("Blocked on legal")));
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await SmartsheetIntegrationAsync(tenant);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, CommentRowId);

        var delivery = await DeliverAsync(integration, CommentCreated);

        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Ignored));
        Assert.That(delivery.LastError, Does.Contain($"discussion {DiscussionId} is on the sheet, not a row"));
        Assert.That((await Ingress.Admin.GetRecordAsync(record)).GetProperty("comments").GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Without_API_credentials_the_change_is_recorded_in_history_and_the_delivery_says_why()
    {
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await SmartsheetIntegrationAsync(tenant, credentials: false);
        var record = await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, RowId);

        var delivery = await DeliverAsync(integration, RowsUpdated);

        Assert.That((delivery.Status, delivery.Applied, delivery.LastError), Is.EqualTo((DeliveryStatus.Processed, 2, ItemFetching.NoCredentials)));
        Assert.That(History(await Ingress.Admin.GetRecordAsync(record)), Is.EqualTo(new[]
        {
            ("changed in smartsheet", "row updated"),
            ("changed in smartsheet", "cell in column 2477271520333700 updated"),
        }));
        Assert.That(Api.Requests, Is.Empty);
    }

    [Test]
    public async Task Status_change_callback_is_ignored_with_the_new_status()
    {
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await SmartsheetIntegrationAsync(tenant);

        var delivery = await DeliverAsync(integration, PayloadFixtures.Read(Provider.Smartsheet, "status_change.scope_inaccessible.json"));

        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Ignored));
        Assert.That(delivery.LastError, Does.Contain("DISABLED_SCOPE_INACCESSIBLE"));
    }

    private static List<(string Action, string? After)> History(JsonElement record) =>
        [.. record.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("action").GetString()!, h.GetProperty("after").GetString()))];
}
