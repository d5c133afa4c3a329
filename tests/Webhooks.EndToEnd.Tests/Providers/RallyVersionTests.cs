using System.Text;
using System.Text.Json.Nodes;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>Rally's Integer-typed VersionId written as a numeric string, through the whole stack (the recorded Investment update).</summary>
public sealed class RallyVersionTests
{
    private const string InvestmentId = "a75e6aba-670c-4954-8c34-4cd3f7ffbc8f";
    private const string VersionIdAttribute = "f5b1fb22-6c15-44b5-a592-19189fafe5f2";

    [Test]
    public async Task An_update_whose_VersionId_is_a_numeric_string_is_applied()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("rally", InvestmentId, new { });
        var json = JsonNode.Parse(PayloadFixtures.ReadText(Provider.Rally, "investment.updated.json"))!;
        json["message"]!["state"]![VersionIdAttribute]!["value"] = "2";
        json["message"]!["changes"]![VersionIdAttribute]!["value"] = "2";
        json["message"]!["changes"]![VersionIdAttribute]!["old_value"] = "1";

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, Encoding.UTF8.GetBytes(json.ToJsonString()));
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
        var entry = record.GetProperty("history").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That((entry.GetProperty("action").GetString(), entry.GetProperty("before").GetString(), entry.GetProperty("after").GetString()),
                Is.EqualTo(("field_changed:rally:InvestmentCategory", "None", "Transformational")));
        });
    }
}
