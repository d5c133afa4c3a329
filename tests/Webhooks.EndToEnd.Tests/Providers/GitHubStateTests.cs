using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>
/// GitHub's updated_at has one-second resolution: close, reopen and close again within one second give three
/// <c>issues</c> webhooks with the same time. Built from the recorded issues.closed.json (issue 381987215), posted as
/// GitHub posts them, then processed one at a time in the order each test chooses.
/// </summary>
public sealed class GitHubStateTests
{
    private const string IssueId = "381987215";
    private static readonly object Settings = new { statusMappings = new Dictionary<string, string> { ["open"] = "in_progress", ["closed"] = "shipped" } };

    [Test]
    public async Task Close_reopen_close_in_one_second_processed_in_order_ends_closed()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("github", IssueId, Settings);
        var (closed, reopened, closedAgain) = await PostCloseReopenCloseAsync(stack, seeded);

        await stack.ProcessInOrderAsync(closed, reopened, closedAgain);

        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);
        Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("shipped"), record.ToString());
        Assert.That(record.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("after").GetString()),
            Is.EqualTo(new[] { "shipped", "in_progress", "shipped" }));
    }

    [Test]
    public async Task Close_reopen_close_in_one_second_processed_in_reverse_ends_with_the_one_received_last()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("github", IssueId, Settings);
        var (closed, reopened, closedAgain) = await PostCloseReopenCloseAsync(stack, seeded);

        await stack.ProcessInOrderAsync(closedAgain);
        await stack.ProcessInOrderAsync(reopened);
        var afterTheReopen = await stack.Admin.GetRecordAsync(seeded.RecordId);
        await stack.ProcessInOrderAsync(closed);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(afterTheReopen.GetProperty("status").GetString(), Is.EqualTo("shipped"), "the reopen was received before the last close");
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("shipped"), record.ToString());
            Assert.That(record.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("after").GetString()), Is.EqualTo(new[] { "shipped" }));
        });
    }

    /// <summary>The three deliveries, posted in this order (so received in it), each with its own X-GitHub-Delivery.</summary>
    private static async Task<(Guid Closed, Guid Reopened, Guid ClosedAgain)> PostCloseReopenCloseAsync(StackFixture stack, LinkedRecord seeded)
    {
        var closed = PayloadFixtures.Read(Provider.GitHub, "issues.closed.json");
        var json = JsonNode.Parse(closed)!.AsObject();
        json["action"] = "reopened";
        json["issue"]!["state"] = "open";
        json["issue"]!["closed_at"] = null;
        var reopened = Encoding.UTF8.GetBytes(json.ToJsonString());

        return (await PostAsync(stack, seeded, closed), await PostAsync(stack, seeded, reopened), await PostAsync(stack, seeded, closed));
    }

    private static Task<Guid> PostAsync(StackFixture stack, LinkedRecord seeded, byte[] body) =>
        Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, body, new Dictionary<string, string>
        {
            ["User-Agent"] = "GitHub-Hookshot/044aadd",
            ["X-GitHub-Event"] = "issues",
            ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
            ["X-GitHub-Hook-ID"] = "109948940",
        });
}
