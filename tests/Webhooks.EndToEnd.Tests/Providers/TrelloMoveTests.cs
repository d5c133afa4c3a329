using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests.Providers;

/// <summary>A Trello card moved from another board, through the whole stack (the recorded moveCardToBoard action).</summary>
public sealed class TrelloMoveTests
{
    [Test]
    public async Task A_card_moved_in_from_another_board_takes_its_new_lists_status()
    {
        var stack = EndToEndSetUp.Stack;
        var seeded = await stack.Admin.SeedLinkedRecordAsync("trello", "59d4b9add8e25500009d5a7f",
            new { statusMappings = new Dictionary<string, string> { ["Backlog"] = "planned" } });

        var delivery = await Sender.PostJsonAsync(stack.Webhooks, seeded.WebhookPath, PayloadFixtures.Read(Provider.Trello, "moveCardToBoard.json"));
        var outcome = await stack.WaitForOutcomeAsync(delivery);
        var record = await stack.Admin.GetRecordAsync(seeded.RecordId);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("processed"), outcome.ToString());
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("planned"), record.ToString());
        });
    }
}
