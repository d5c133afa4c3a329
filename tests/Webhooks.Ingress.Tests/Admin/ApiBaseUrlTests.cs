using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// <c>settings.apiBaseUrl</c> tells the workers where to send an integration's API token: the admin API takes only the
/// provider's official API over https, or a URL under <c>Fetching:AllowedBaseUrls</c>, and never lets the base URL move
/// without a new token. Everything else is answered 400 naming the field, on create and on PATCH, and nothing changes.
/// </summary>
public sealed class ApiBaseUrlTests : IngressFixture
{
    private const string Mirror = "https://asana-mirror.example.test/";

    protected override void Configure(IWebHostBuilder web) => web.UseSetting("Fetching:AllowedBaseUrls", $"{Mirror},http://127.0.0.1:");

    private static object Settings(string? apiBaseUrl, string? apiToken = "api-token-0001") => new { apiBaseUrl, apiToken };

    private async Task<(HttpStatusCode Status, JsonElement Body)> CreateAsync(string provider, object settings)
    {
        var seeded = await Admin.SeedAsync();
        using var response = await Admin.PostAsync("/integrations",
            new { productId = seeded.ProductId, provider, version = 1, name = provider, runAsUserId = seeded.UserId, settings });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PatchAsync(Guid integrationId, object body)
    {
        using var response = await Admin.PatchAsync($"/integrations/{integrationId}", body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertRefusedNamingTheField((HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.Body.GetRawText());
        Assert.That(answer.Body.GetProperty("errors").TryGetProperty("settings.apiBaseUrl", out var messages), Is.True, answer.Body.GetRawText());
        Assert.That(messages[0].GetString(), Does.StartWith("settings.apiBaseUrl"));
    }

    private async Task<IntegrationSettings> StoredSettingsAsync(Guid integrationId)
    {
        await using var db = App.CreateDbContext();
        return IntegrationSettings.Parse((await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == integrationId)).Settings);
    }

    [TestCase("asana", "https://app.asana.com/api/1.0")]
    [TestCase("asana", "https://app.asana.com/api/1.0/")]
    [TestCase("smartsheet", "https://api.smartsheet.com/2.0")]
    [TestCase("smartsheet", "https://api.smartsheetgov.com/2.0")]
    [TestCase("smartsheet", "https://api.smartsheet.eu/2.0")]
    [TestCase("smartsheet", "https://api.smartsheet.au/2.0")]
    [TestCase("smartsheet", "HTTPS://API.SMARTSHEET.COM:443/2.0")]
    [TestCase("asana", Mirror + "api/1.0")]
    [TestCase("smartsheet", "http://127.0.0.1:8080/2.0")]
    public async Task Official_api_or_an_allowed_prefix_is_accepted(string provider, string apiBaseUrl)
    {
        var (status, body) = await CreateAsync(provider, Settings(apiBaseUrl));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.GetRawText());
        Assert.That(body.GetProperty("settings").GetProperty("apiBaseUrl").GetString(), Is.EqualTo(apiBaseUrl));
    }

    [TestCase("asana", "http://app.asana.com/api/1.0", TestName = "{m}(plain http to the official host)")]
    [TestCase("asana", "https://app.asana.com.attacker.example/api/1.0", TestName = "{m}(official host as a subdomain)")]
    [TestCase("asana", "https://attacker.example/api/1.0", TestName = "{m}(another host)")]
    [TestCase("asana", "https://app.asana.com:8443/api/1.0", TestName = "{m}(another port)")]
    [TestCase("asana", "https://x@app.asana.com/api/1.0", TestName = "{m}(user info)")]
    [TestCase("asana", "https://app.asana.com/api/1.0/../../internal", TestName = "{m}(dot segments out of the base)")]
    [TestCase("asana", "https://app.asana.com/api/1.0?next=http://10.0.0.1/", TestName = "{m}(a query)")]
    [TestCase("asana", "https://api.smartsheet.com/2.0", TestName = "{m}(another provider's API)")]
    [TestCase("smartsheet", "https://api.smartsheet.com/3.0", TestName = "{m}(another API version)")]
    [TestCase("asana", "http://169.254.169.254/latest/meta-data/", TestName = "{m}(cloud metadata)")]
    [TestCase("asana", "http://localhost:5432/", TestName = "{m}(localhost, not the allowed 127.0.0.1)")]
    [TestCase("asana", "http://127.0.0.1.attacker.example:80/", TestName = "{m}(an allowed prefix as a subdomain)")]
    [TestCase("asana", "https://asana-mirror.example.test.attacker.example/", TestName = "{m}(the mirror as a subdomain)")]
    [TestCase("asana", "file:///etc/passwd", TestName = "{m}(a file URL)")]
    [TestCase("asana", "not a url", TestName = "{m}(not a URL)")]
    [TestCase("github", "https://api.github.com", TestName = "{m}(a provider the workers never call)")]
    public async Task Any_other_base_url_is_refused_on_create_naming_the_field(string provider, string apiBaseUrl)
    {
        AssertRefusedNamingTheField(await CreateAsync(provider, Settings(apiBaseUrl)));
    }

    [Test]
    public async Task Base_url_under_another_casing_of_the_key_is_checked_too()
    {
        AssertRefusedNamingTheField(await CreateAsync("asana", new { APIBASEURL = "http://169.254.169.254/", apiToken = "t" }));
    }

    [Test]
    public async Task Patch_to_a_refused_base_url_is_400_naming_the_field_and_changes_nothing()
    {
        var (_, created) = await CreateAsync("asana", Settings("https://app.asana.com/api/1.0"));
        var id = created.GetProperty("id").GetGuid();

        AssertRefusedNamingTheField(await PatchAsync(id, new { settings = Settings("http://169.254.169.254/latest/meta-data/", "new-token") }));

        Assert.That((await StoredSettingsAsync(id)).ApiBaseUrl, Is.EqualTo("https://app.asana.com/api/1.0"));
    }

    [Test]
    public async Task Moving_the_base_url_without_a_new_token_is_refused_so_the_stored_token_never_goes_elsewhere()
    {
        var (_, created) = await CreateAsync("asana", Settings(Mirror + "api/1.0", "mirror-token"));
        var id = created.GetProperty("id").GetGuid();

        var moved = await PatchAsync(id, new { settings = new { apiBaseUrl = "https://app.asana.com/api/1.0" } });

        AssertRefusedNamingTheField(moved);
        Assert.That(moved.Body.GetProperty("errors").GetProperty("settings.apiBaseUrl")[0].GetString(), Does.Contain("new settings.apiToken"));
        Assert.That((await StoredSettingsAsync(id)).ApiBaseUrl, Is.EqualTo(Mirror + "api/1.0"));
        // Dropping the base URL and bringing it back later is the same move.
        Assert.That((await PatchAsync(id, new { settings = new { statusMappings = new Dictionary<string, string>() } })).Status, Is.EqualTo(HttpStatusCode.OK));
        AssertRefusedNamingTheField(await PatchAsync(id, new { settings = new { apiBaseUrl = "https://app.asana.com/api/1.0" } }));
    }

    [Test]
    public async Task Moving_the_base_url_with_a_new_token_is_accepted_and_keeping_it_needs_no_token()
    {
        var (_, created) = await CreateAsync("asana", Settings(Mirror + "api/1.0", "mirror-token"));
        var id = created.GetProperty("id").GetGuid();

        var moved = await PatchAsync(id, new { settings = Settings("https://app.asana.com/api/1.0", "asana-token") });
        var kept = await PatchAsync(id, new { settings = new { apiBaseUrl = "https://app.asana.com/api/1.0", statusMappings = new Dictionary<string, string> { ["Completed"] = "shipped" } } });

        Assert.That((moved.Status, kept.Status), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)), $"{moved.Body} {kept.Body}");
        var stored = await StoredSettingsAsync(id);
        Assert.That(stored.ApiBaseUrl, Is.EqualTo("https://app.asana.com/api/1.0"));
        Assert.That(App.Services.GetRequiredService<SecretProtector>().Unprotect(stored.ApiToken), Is.EqualTo("asana-token"));
    }

    [TestCase("ftp://files.example/")]
    [TestCase("https://")]
    [TestCase("https://mirror.example/@attacker")]
    public void Allowed_base_url_that_is_not_an_http_prefix_with_a_host_stops_start_up_naming_the_key(string prefix)
    {
        using var app = new IngressApplication(configure: web => web.UseSetting("Fetching:AllowedBaseUrls", prefix));

        var failure = Assert.Catch(() => app.CreateClient());

        Assert.That(failure!.ToString(), Does.Contain("Fetching:AllowedBaseUrls").And.Contain($"'{prefix}'"));
    }
}
