using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>
/// Where the admin API serves dead letters it needs a broker user of its own (<c>DeadLetters:User</c>/<c>Pass</c>),
/// checked at start; the replay and dead-letter routes are described in the OpenAPI document scripts and the console read.
/// </summary>
public sealed class ReplayAndDeadLetterRoutesTests
{
    [TestCase("DeadLetters:User")]
    [TestCase("DeadLetters:Pass")]
    public void Admin_api_without_its_dead_letter_user_stops_the_start_naming_the_setting(string missing)
    {
        using var app = new IngressApplication(configure: web => web.UseSetting(missing, ""));

        var refused = Assert.Catch(() => app.CreateClient());

        Assert.That(refused!.ToString(), Does.Contain(missing));
    }

    [Test]
    public async Task A_replica_without_the_admin_api_needs_no_dead_letter_user()
    {
        await using var app = await IngressFixture.StartAsync(configure: web => web
            .UseSetting("Ingress:AdminKey", "").UseSetting("DeadLetters:User", "").UseSetting("DeadLetters:Pass", ""));
        using var client = app.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var deadLetters = await client.GetAsync("/api/v1/admin/dead-letters");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(deadLetters.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task OpenApi_document_describes_the_replay_and_dead_letter_calls()
    {
        await using var app = await IngressFixture.StartAsync();
        using var client = app.CreateAdminClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        var operations = new Dictionary<string, string>
        {
            ["/api/v1/admin/deliveries/{id}/replay"] = "post",
            ["/api/v1/admin/deliveries/replay"] = "post",
            ["/api/v1/admin/deliveries/replays/{replayId}"] = "get",
            ["/api/v1/admin/dead-letters"] = "get",
            ["/api/v1/admin/dead-letters/{provider}"] = "get",
            ["/api/v1/admin/dead-letters/{provider}/{id}"] = "get",
            ["/api/v1/admin/dead-letters/{provider}/{id}/replay"] = "post",
            ["/api/v1/admin/dead-letters/{provider}/replay"] = "post",
            ["/api/v1/admin/dead-letters/{provider}/{id}/purge"] = "post",
            ["/api/v1/admin/dead-letters/{provider}/purge"] = "post",
        };
        Assert.Multiple(() =>
        {
            foreach (var (path, method) in operations)
            {
                Assert.That(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out var operation)
                    && operation.GetProperty("security").GetArrayLength() == 1, Is.True, $"{method} {path}, behind the admin key");
            }
            var list = paths.GetProperty("/api/v1/admin/dead-letters/{provider}").GetProperty("get");
            Assert.That(list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()),
                Is.SupersetOf(new[] { "provider", "id", "exception", "since", "until", "offset", "limit" }));
            Assert.That(list.GetProperty("responses").TryGetProperty("503", out _), Is.True, "a broker that refuses is a documented answer");
            var schemas = document.GetProperty("components").GetProperty("schemas");
            Assert.That(schemas.GetProperty("DeliveryReplayRequest").GetProperty("properties").EnumerateObject().Select(p => p.Name),
                Is.EquivalentTo(new[] { "ids", "statuses", "integrationId", "provider", "since", "until", "max", "dryRun" }));
            Assert.That(schemas.GetProperty("DeadLetterPurgeRequest").GetProperty("properties").TryGetProperty("confirm", out _), Is.True);
            Assert.That(schemas.GetProperty("ReplayProgress").GetProperty("properties").EnumerateObject().Select(p => p.Name),
                Is.SupersetOf(new[] { "replayId", "total", "accepted", "queued", "finished", "statuses", "done" }));
        });
    }
}
