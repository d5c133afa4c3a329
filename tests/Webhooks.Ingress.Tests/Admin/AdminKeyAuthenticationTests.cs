using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Admin;

public sealed class AdminKeyAuthenticationTests : IngressFixture
{
    [Test]
    public async Task Admin_call_without_a_key_answers_401_problem()
    {
        using var response = await Client.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(401));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
    }

    [TestCase("Bearer wrong-key")]
    [TestCase("Bearer " + IngressApplication.AdminKey + "x")]
    [TestCase("Bearer test-admin-key")]
    [TestCase("Basic " + IngressApplication.AdminKey)]
    [TestCase(IngressApplication.AdminKey)]
    public async Task Admin_call_with_a_wrong_key_answers_401_and_changes_nothing(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/accounts") { Content = AdminClient.Json("""{"name":"Wrong key"}""") };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        await using var db = App.CreateDbContext();
        Assert.That(db.Accounts.Any(a => a.Name == "Wrong key"), Is.False);
    }

    [Test]
    public async Task Key_is_checked_before_the_body_is_read()
    {
        using var response = await Client.PatchAsync($"/api/v1/admin/integrations/{Guid.NewGuid()}", AdminClient.Json("not json"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Reads_need_the_key_too()
    {
        var seeded = await App.CreateIntegrationAsync(Provider.Jira);

        using var response = await Client.GetAsync($"/api/v1/admin/integrations/{seeded.Id}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    /// <summary>
    /// Past the limit of wrong keys from one address, its wrong keys are 429 with Retry-After until the window ends. The
    /// right key still passes: a stale key in a script (or a stranger behind the same proxy) must not lock operators out.
    /// Webhooks are not affected.
    /// </summary>
    [Test]
    public async Task Wrong_keys_past_the_limit_are_refused_for_the_window_and_the_right_key_still_passes()
    {
        await using var app = await IngressFixture.StartAsync(configure: web => web
            .UseSetting("Console:SignInFailureLimit", "3")
            .UseSetting("Console:SignInFailureWindow", "00:10:00"));
        using var client = app.CreateClient();
        var seeded = await app.CreateIntegrationAsync(Provider.Jira);

        var answers = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 4; i++)
        {
            using var wrong = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/integrations/{seeded.Id}");
            wrong.Headers.TryAddWithoutValidation("Authorization", $"Bearer guess-{i}-0123456789abcdef0123456789");
            var answer = await client.SendAsync(wrong);
            answers.Add(answer.StatusCode);
            refused?.Dispose();
            refused = answer;
        }
        using var right = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/admin/integrations/{seeded.Id}");
        right.Headers.TryAddWithoutValidation("Authorization", $"Bearer {IngressApplication.AdminKey}");
        using var passed = await client.SendAsync(right);
        using var webhook = await client.PostAsync(seeded.Path, AdminClient.Json("""{"webhookEvent":"comment_created"}"""));

        using (refused)
        {
            Assert.That(answers, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
            Assert.That(refused!.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.FromMinutes(9)).And.LessThanOrEqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        }
        Assert.That(passed.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the right key is never refused");
        Assert.That(webhook.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("short-key")]
    [TestCase("0123456789abcdef0123456789abcde")]
    public void Admin_key_shorter_than_32_characters_stops_the_start_naming_the_setting(string key)
    {
        using var app = new IngressApplication(configure: web => web.UseSetting("Ingress:AdminKey", key));

        var refused = Assert.Catch(() => app.CreateClient());

        Assert.That(refused!.ToString(), Does.Contain("Ingress:AdminKey").And.Contain("32"));
        Assert.That(refused.ToString(), Does.Not.Contain(key), "the refused key is not repeated in the error");
    }

    [Test]
    public async Task Admin_key_of_32_characters_is_accepted()
    {
        const string Key = "0123456789abcdef0123456789abcdef";
        await using var app = await IngressFixture.StartAsync(configure: web => web.UseSetting("Ingress:AdminKey", Key));
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);

        using var response = await client.GetAsync($"/api/v1/admin/accounts/{Guid.NewGuid()}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Admin_call_with_the_key_is_served()
    {
        using var client = App.CreateAdminClient();

        using var response = await client.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task Webhook_endpoint_needs_no_admin_key()
    {
        var seeded = await App.CreateIntegrationAsync(Provider.Jira);
        Client.DefaultRequestHeaders.Authorization = null;

        using var response = await Client.PostAsync(seeded.Path, AdminClient.Json("{}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task OpenApi_document_needs_the_key()
    {
        using var response = await Client.GetAsync("/openapi/v1.json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task OpenApi_document_lists_the_admin_calls()
    {
        using var client = App.CreateAdminClient();
        using var response = await client.GetAsync("/openapi/v1.json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        var paths = document.GetProperty("paths");
        Assert.Multiple(() =>
        {
            Assert.That(paths.TryGetProperty("/api/v1/admin/integrations/{id}", out _), Is.True);
            Assert.That(paths.TryGetProperty("/api/v1/admin/deliveries/{id}/replay", out _), Is.True);
            Assert.That(paths.TryGetProperty("/api/v1/admin/records/{id}", out _), Is.True);
            Assert.That(document.GetProperty("components").GetProperty("securitySchemes").GetProperty("AdminKey").GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
            Assert.That(paths.GetProperty("/api/v1/admin/integrations/{id}").GetProperty("get").GetProperty("security").GetArrayLength(), Is.EqualTo(1));
            Assert.That(paths.GetProperty("/api/v1/admin/integrations/{id}").GetProperty("get").GetProperty("operationId").GetString(), Is.EqualTo("GetIntegration"));
            Assert.That(paths.GetProperty("/api/v1/webhooks/{token}").GetProperty("post").TryGetProperty("security", out _), Is.False);
        });
    }
}
