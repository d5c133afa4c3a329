using System.Net;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// <c>settings.mapping</c> (Standard Webhooks) through the admin API: checked on create and PATCH, read exactly as the
/// workers read it, a bad one refused with a 400 naming the key at fault.
/// </summary>
public sealed class PayloadMappingApiTests : IngressFixture
{
    /// <summary>The mapping of the issue's example, every key used.</summary>
    private const string FullMapping = """
        {"itemId": "/data/id", "types": {"issue.updated": {"status": "/data/status", "name": "/data/title", "description": "/data/body",
         "commentId": "/data/comment/id", "commentBody": "/data/comment/body", "commentAuthor": "/data/comment/author"},
         "issue.deleted": {"deleted": true}, "comment.deleted": {"commentId": "/data/comment/id", "deleted": true}}}
        """;

    /// <summary>Pointers with RFC 6901 escapes and another time pointer.</summary>
    private const string EscapedMapping = """{"itemId": "/data/a~1b/c~0d", "timestamp": "/created_at", "types": {"response.completed": {"status": "/type"}}}""";

    /// <summary>
    /// The issue's own mapping, its "&lt;type&gt;" named: every key in one type, deleted: true among them (a sender whose
    /// one event carries the item's fields, a comment and the item's deletion); taken as written, not refused.
    /// </summary>
    private const string IssuesExample = """
        {"itemId": "/data/id", "types": {"issue.changed": {"status": "/data/status", "name": "/data/title", "description": "/data/body", "commentId": "/data/comment/id", "commentBody": "/data/comment/body", "commentAuthor": "/data/comment/author", "deleted": true}}}
        """;

    [TestCase(FullMapping, EscapedMapping)]
    [TestCase(IssuesExample, IssuesExample)]
    public async Task A_mapping_is_kept_as_given_and_shown(string onCreate, string onPatch)
    {
        var seeded = await Admin.SeedAsync(provider: "standard");

        var created = await CreateAsync(seeded, onCreate, HttpStatusCode.Created);
        var patched = await PatchAsync(seeded.IntegrationId, onPatch, HttpStatusCode.OK);

        Assert.Multiple(() =>
        {
            Assert.That(JsonElement.DeepEquals(created.GetProperty("settings").GetProperty("mapping"), JsonDocument.Parse(onCreate).RootElement), Is.True,
                created.GetProperty("settings").GetRawText());
            Assert.That(JsonElement.DeepEquals(patched.GetProperty("settings").GetProperty("mapping"), JsonDocument.Parse(onPatch).RootElement), Is.True);
        });
    }

    [TestCase("\"/data/id\"", "settings.mapping must be an object")]
    [TestCase("""{"types": {}}""", "settings.mapping.itemId is required")]
    [TestCase("""{"itemId": "data/id", "types": {}}""", "settings.mapping.itemId (\"data/id\") is not a JSON Pointer")]
    [TestCase("""{"itemId": "#/data/id", "types": {}}""", "URI-fragment form")]
    [TestCase("""{"itemId": "/data/~2id", "types": {}}""", "settings.mapping.itemId (\"/data/~2id\") is not a JSON Pointer: '~' at position 6")]
    [TestCase("""{"itemId": "/data/id~", "types": {}}""", "settings.mapping.itemId (\"/data/id~\")")]
    [TestCase("""{"itemId": 42, "types": {}}""", "settings.mapping.itemId must be a JSON Pointer string")]
    [TestCase("""{"itemId": "/data/id", "timestamp": "created_at", "types": {}}""", "settings.mapping.timestamp (\"created_at\")")]
    [TestCase("""{"itemId": "/data/id"}""", "settings.mapping.types is required")]
    [TestCase("""{"itemId": "/data/id", "types": []}""", "settings.mapping.types is required")]
    [TestCase("""{"itemId": "/data/id", "types": {}, "item": "/data/id"}""", "settings.mapping.item is not a known key")]
    [TestCase("""{"itemId": "/data/id", "ItemId": "/data/id", "types": {}}""", "settings.mapping.itemId is given twice")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": "/data/status"}}""", "settings.mapping.types[\"issue.updated\"] must be an object")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": {"title": "/data/title"}}}""", "settings.mapping.types[\"issue.updated\"].title is not a known key")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": {"status": "data.status"}}}""", "settings.mapping.types[\"issue.updated\"].status (\"data.status\") is not a JSON Pointer")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": {"status": null}}}""", "settings.mapping.types[\"issue.updated\"].status must be a JSON Pointer string")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.deleted": {"deleted": "yes"}}}""", "settings.mapping.types[\"issue.deleted\"].deleted must be true or false")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": {}}}""", "settings.mapping.types[\"issue.updated\"] maps nothing")]
    [TestCase("""{"itemId": "/data/id", "types": {"issue.updated": {"deleted": false}}}""", "settings.mapping.types[\"issue.updated\"] maps nothing")]
    [TestCase("""{"itemId": "/data/id", "types": {"": {"deleted": true}}}""", "an event type must not be empty")]
    [TestCase("""{"itemId": "/data/id", "types": {"c": {"commentBody": "/data/body"}}}""", "settings.mapping.types[\"c\"].commentBody needs commentId")]
    [TestCase("""{"itemId": "/data/id", "types": {"c": {"status": "/s", "commentAuthor": "/data/author"}}}""", "settings.mapping.types[\"c\"].commentAuthor needs commentId")]
    [TestCase("""{"itemId": "/data/id", "types": {"c": {"commentId": "/data/comment/id"}}}""", "settings.mapping.types[\"c\"].commentId needs commentBody")]
    public async Task A_bad_mapping_is_400_naming_the_key_at_fault_on_create_and_on_patch(string mapping, string expected)
    {
        var seeded = await Admin.SeedAsync(provider: "standard");
        await PatchAsync(seeded.IntegrationId, FullMapping, HttpStatusCode.OK);

        var created = await CreateAsync(seeded, mapping, HttpStatusCode.BadRequest);
        var patched = await PatchAsync(seeded.IntegrationId, mapping, HttpStatusCode.BadRequest);

        var stored = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{seeded.IntegrationId}"), HttpStatusCode.OK);
        Assert.Multiple(() =>
        {
            Assert.That(created.GetProperty("errors").GetProperty("settings")[0].GetString(), Does.Contain(expected));
            Assert.That(patched.GetProperty("errors").GetProperty("settings")[0].GetString(), Does.Contain(expected));
            Assert.That(JsonElement.DeepEquals(stored.GetProperty("settings").GetProperty("mapping"), JsonDocument.Parse(FullMapping).RootElement), Is.True,
                "a refused PATCH keeps the mapping in force");
        });
    }

    private async Task<JsonElement> CreateAsync(Seeded seeded, string mapping, HttpStatusCode expected) =>
        await AdminClient.ExpectAsync(await Admin.PostJsonAsync("/integrations",
            $$$"""{"productId": "{{{seeded.ProductId}}}", "provider": "standard", "version": 1, "name": "Sender", "runAsUserId": "{{{seeded.UserId}}}", "settings": {"mapping": {{{mapping}}}}}"""),
            expected);

    private async Task<JsonElement> PatchAsync(Guid integrationId, string mapping, HttpStatusCode expected) =>
        await AdminClient.ExpectAsync(await Admin.Http.PatchAsync($"{AdminClient.Prefix}/integrations/{integrationId}",
            AdminClient.Json($$$"""{"settings": {"statusMappings": {"open": "in_progress"}, "mapping": {{{mapping}}}}}""")), expected);
}
