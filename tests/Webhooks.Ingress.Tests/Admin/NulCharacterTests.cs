using System.Net;
using System.Text;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// JSON may carry <c>\u0000</c>; PostgreSQL text cannot. Whatever an operator sends, a NUL anywhere in an admin
/// request's JSON (a name, a settings value or key, a record field) is a 400 naming the field, never an empty 500,
/// and nothing is written.
/// </summary>
public sealed class NulCharacterTests : IngressFixture
{

    [Test]
    public async Task Account_name_with_a_NUL_is_400_naming_the_field_and_nothing_is_created()
    {
        var name = $"Acme {Guid.NewGuid():N}";

        var problem = await ExpectNulProblemAsync(await Admin.PostJsonAsync("/accounts", $$"""{"name":"{{name}}\u0000"}"""));

        Assert.That(problem.GetProperty("errors").TryGetProperty("name", out _), Is.True, problem.ToString());
        await using var db = App.CreateDbContext();
        Assert.That(db.Accounts.Count(a => a.Name.StartsWith(name)), Is.Zero);
    }

    [TestCase("""{"statusMappings":{"Done":"ship\u0000ped"}}""", "settings.statusMappings.Done")]
    [TestCase("""{"statusMappings":{"Do\u0000ne":"shipped"}}""", "settings.statusMappings")]
    [TestCase("""{"organizationId":"00D\u0000"}""", "settings.organizationId")]
    [TestCase("""{"apiToken":"tok\u0000en"}""", "settings.apiToken")]
    public async Task Integration_settings_with_a_NUL_are_400_naming_the_setting(string settings, string field)
    {
        var seeded = await Admin.SeedAsync("jira");

        var problem = await ExpectNulProblemAsync(await Admin.PostJsonAsync("/integrations",
            $$"""{"productId":"{{seeded.ProductId}}","provider":"salesforce","version":1,"name":"With NUL","runAsUserId":"{{seeded.UserId}}","settings":{{settings}}}"""));

        Assert.That(problem.GetProperty("errors").EnumerateObject().Select(e => e.Name), Has.Some.StartWith(field), problem.ToString());
        await using var db = App.CreateDbContext();
        Assert.That(db.Integrations.Count(i => i.ProductId == seeded.ProductId), Is.EqualTo(1), "only the integration SeedAsync made");
    }

    [Test]
    public async Task Integration_update_with_a_NUL_in_its_name_is_400_and_changes_nothing()
    {
        var seeded = await Admin.SeedAsync("jira");

        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{AdminClient.Prefix}/integrations/{seeded.IntegrationId}")
        {
            Content = AdminClient.Json("""{"name":"Renamed\u0000"}"""),
        };
        var problem = await ExpectNulProblemAsync(await Admin.Http.SendAsync(request));

        Assert.That(problem.GetProperty("errors").TryGetProperty("name", out _), Is.True, problem.ToString());
        var current = await AdminClient.ExpectAsync(await Admin.GetAsync($"/integrations/{seeded.IntegrationId}"), HttpStatusCode.OK);
        Assert.That(current.GetProperty("name").GetString(), Is.EqualTo(seeded.Created.GetProperty("name").GetString()), "the name is unchanged");
    }

    [Test]
    public async Task Record_fields_with_a_NUL_are_400_naming_the_field()
    {
        var seeded = await Admin.SeedAsync("jira");

        var description = await ExpectNulProblemAsync(await Admin.PostJsonAsync($"/products/{seeded.ProductId}/records",
            """{"kind":"feature","name":"Login","description":"As a user\u0000"}"""));
        var status = await ExpectNulProblemAsync(await Admin.PostJsonAsync($"/products/{seeded.ProductId}/records",
            """{"kind":"feature","name":"Login","status":"n\u0000ew"}"""));

        Assert.Multiple(() =>
        {
            Assert.That(description.GetProperty("errors").TryGetProperty("description", out _), Is.True, description.ToString());
            Assert.That(status.GetProperty("errors").TryGetProperty("status", out _), Is.True, status.ToString());
        });
    }

    [Test]
    public async Task NUL_deep_in_an_array_is_named_by_its_path()
    {
        var seeded = await Admin.SeedAsync("jira");

        var problem = await ExpectNulProblemAsync(await Admin.PostJsonAsync("/integrations",
            $$$"""{"productId":"{{{seeded.ProductId}}}","provider":"jira","version":1,"name":"Deep","runAsUserId":"{{{seeded.UserId}}}","settings":{"extra":[{"a":"ok"},{"b":"\u0000"}]}}"""));

        Assert.That(problem.GetProperty("errors").TryGetProperty("settings.extra[1].b", out _), Is.True, problem.ToString());
    }

    [Test]
    public async Task Escaped_backslash_before_u0000_is_text_not_a_NUL_and_is_accepted()
    {
        var account = await AdminClient.ExpectAsync(await Admin.PostJsonAsync("/accounts", """{"name":"Path C:\\u0000 literally"}"""), HttpStatusCode.Created);

        Assert.That(account.GetProperty("name").GetString(), Is.EqualTo(@"Path C:\u0000 literally"));
    }

    [TestCase("/accounts", """{"name":"Acme \ud800"}""", "name")]
    [TestCase("/accounts", """{"name":"Acme \udc00 trailing"}""", "name")]
    [TestCase("/accounts", """{"\ud800name":"Acme"}""", "$")]
    public async Task An_escaped_lone_surrogate_is_400_naming_the_field(string path, string body, string field)
    {
        var problem = await AdminClient.ExpectAsync(await Admin.PostJsonAsync(path, body), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").EnumerateObject().Select(e => (e.Name, e.Value[0].GetString())),
            Has.One.Matches<(string Name, string? Reason)>(e => e.Name == field && e.Reason!.Contains("not text")), problem.ToString());
    }

    [Test]
    public async Task Integration_settings_with_a_lone_surrogate_are_400_naming_the_setting_and_nothing_is_created()
    {
        var seeded = await Admin.SeedAsync("jira");

        var problem = await AdminClient.ExpectAsync(await Admin.PostJsonAsync("/integrations",
            $$$$"""{"productId":"{{{{seeded.ProductId}}}}","provider":"jira","version":1,"name":"Surrogate","runAsUserId":"{{{{seeded.UserId}}}}","settings":{"statusMappings":{"Done":"\udfff"}}}"""),
            HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").TryGetProperty("settings.statusMappings.Done", out _), Is.True, problem.ToString());
        await using var db = App.CreateDbContext();
        Assert.That(db.Integrations.Count(i => i.ProductId == seeded.ProductId), Is.EqualTo(1), "only the integration SeedAsync made");
    }

    [Test]
    public async Task Bytes_that_are_not_UTF_8_in_a_name_or_in_settings_are_400_and_nothing_is_created()
    {
        var seeded = await Admin.SeedAsync("jira");
        var name = $"Acme {Guid.NewGuid():N}";
        static ByteArrayContent Raw(string before, string after)
        {
            var content = new ByteArrayContent([.. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(after)]);
            content.Headers.ContentType = new("application/json");
            return content;
        }

        using var account = await Admin.Http.PostAsync($"{AdminClient.Prefix}/accounts", Raw($$"""{"name":"{{name}}""", "\"}"));
        using var integration = await Admin.Http.PostAsync($"{AdminClient.Prefix}/integrations", Raw(
            $$$"""{"productId":"{{{seeded.ProductId}}}","provider":"jira","version":1,"name":"Bytes","runAsUserId":"{{{seeded.UserId}}}","settings":{"statusMappings":{"Done":"x""",
            "\"}}}"));

        Assert.That((account.StatusCode, integration.StatusCode), Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)),
            await account.Content.ReadAsStringAsync() + await integration.Content.ReadAsStringAsync());
        await using var db = App.CreateDbContext();
        Assert.That((db.Accounts.Count(a => a.Name.StartsWith(name)), db.Integrations.Count(i => i.ProductId == seeded.ProductId)), Is.EqualTo((0, 1)));
    }

    [TestCase("/deliveries")]
    [TestCase("/integrations")]
    [TestCase("/accounts")]
    public async Task A_search_text_with_a_NUL_is_400_naming_q(string path)
    {
        var problem = await AdminClient.ExpectAsync(await Admin.GetAsync($"{path}?q=abc%00def"), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").GetProperty("q")[0].GetString(), Does.Contain("NUL"), problem.ToString());
    }

    private static async Task<JsonElement> ExpectNulProblemAsync(HttpResponseMessage response)
    {
        var problem = await AdminClient.ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.That(problem.ValueKind, Is.EqualTo(JsonValueKind.Object), "a problem body, not an empty answer");
        Assert.That(problem.ToString(), Does.Contain("NUL"), "the reason says what is wrong");
        return problem;
    }
}
