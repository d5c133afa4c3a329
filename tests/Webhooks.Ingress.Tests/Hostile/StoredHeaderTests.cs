using System.Net;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>
/// Every header value the ingress stores (Content-Type, the kept headers, the sender's delivery id, User-Agent) is
/// bounded to its column, so no header of any length or content can fail the group commit that other requests share:
/// every request answered 200 has its row, with the value cut to fit.
/// </summary>
public sealed class StoredHeaderTests : IngressFixture
{

    /// <summary>Regression: a Content-Type over 200 characters failed the shared COPY; its row was never stored although answered 200.</summary>
    [Test]
    public async Task Long_Content_Types_in_the_same_batch_as_normal_requests_are_stored_and_none_is_lost()
    {
        var seeded = await Admin.SeedAsync("jira");
        var contentTypes = Enumerable.Repeat("application/json", 40)
            .Append("application/json; profile=" + new string('p', 300))
            .Append("application/json; profile=" + new string('q', 100 * 1024))
            .Append("application/json; profile=" + new string('r', 300))
            .ToList();

        // All at once, so they share group commits with each other.
        var answers = await Task.WhenAll(contentTypes.Select(contentType => PostAsync(seeded, contentType)));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", answers.Select(a => a.Body).Distinct()));
        foreach (var (answer, sent) in answers.Zip(contentTypes))
        {
            var delivery = await StoredAsync(answer);
            var stored = delivery.GetProperty("contentType").GetString()!;
            Assert.That(stored.Length, Is.LessThanOrEqualTo(200), "bounded to its column");
            Assert.That(sent, Does.StartWith(stored), "what is kept is the start of what was sent");
        }
    }

    /// <summary>A cut through a character (half a surrogate pair) cannot be stored either; nor can a NUL.</summary>
    [Test]
    public async Task Header_values_cut_through_a_character_are_stored_whole_characters_only()
    {
        var seeded = await Admin.SeedAsync("jira");
        var emoji = char.ConvertFromUtf32(0x1F600);
        var headers = new Dictionary<string, string>
        {
            ["User-Agent"] = new string('u', 499) + emoji + "tail",
            ["X-Atlassian-Webhook-Identifier"] = new string('i', 199) + emoji + "tail",
            ["X-Atlassian-Webhook-Flow"] = "Primary\0" + emoji,
        };

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            PostAsync(seeded, i == 0 ? new string('c', 199) + emoji : "application/json", i == 0 ? headers : null)));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", answers.Select(a => a.Body).Distinct()));
        var stored = await StoredAsync(answers[0]);
        Assert.Multiple(() =>
        {
            Assert.That(stored.GetProperty("contentType").GetString(), Is.EqualTo(new string('c', 199)));
            // Identifiers too long for their column keep a prefix and a SHA-256 of the whole, so two that differ only past
            // the cut stay two (a cut made the later delivery a "retry" of the earlier).
            Assert.That(stored.GetProperty("sourceDeliveryId").GetString(), Does.Match("^i{135}#[0-9a-f]{64}$"));
            Assert.That(stored.GetProperty("headers").GetProperty("User-Agent").GetString(), Does.Match("^u{435}#[0-9a-f]{64}$"));
            Assert.That(stored.GetProperty("headers").GetProperty("X-Atlassian-Webhook-Flow").GetString(), Is.EqualTo("Primary" + emoji), "NUL dropped, the rest kept");
        });
        foreach (var answer in answers.Skip(1))
        {
            await StoredAsync(answer);
        }
    }

    private async Task<JsonElement> StoredAsync((HttpStatusCode Status, string Body) answer)
    {
        var deliveryId = JsonDocument.Parse(answer.Body).RootElement.GetProperty("deliveryId").GetGuid();
        return await AdminClient.ExpectAsync(await Admin.GetAsync($"/deliveries/{deliveryId}"), HttpStatusCode.OK);
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(Seeded seeded, string contentType, Dictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, seeded.WebhookPath) { Content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json")) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
