using Webhooks.Contracts;
using Webhooks.Ingress.Outbox;

namespace Webhooks.Ingress.Tests.Outbox;

/// <summary>How one relay pass splits what it claimed into broker messages: the broker's cost and the per-delivery retries both depend on it.</summary>
public sealed class OutboxMessagesTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static ClaimedDelivery Claimed(long outboxId, Provider provider = Provider.Jira, int attempts = 0) =>
        new(outboxId, Guid.CreateVersion7(), Guid.NewGuid(), provider, Received.AddMilliseconds(outboxId), null, attempts);

    [Test]
    public void A_pass_larger_than_a_message_is_split_and_a_remainder_of_one_goes_alone()
    {
        var claimed = Enumerable.Range(1, 201).Select(i => Claimed(i)).ToList();

        var messages = OutboxMessages.From(claimed, deliveriesPerMessage: 200);

        Assert.Multiple(() =>
        {
            Assert.That(messages.Select(m => m.Deliveries.Count), Is.EqualTo(new[] { 200, 1 }));
            Assert.That(messages[0].Batch!.Deliveries.Select(d => d.DeliveryId), Is.EqualTo(claimed.Take(200).Select(d => d.DeliveryId)), "claim order kept");
            Assert.That(messages[1].Single!.DeliveryId, Is.EqualTo(claimed[200].DeliveryId));
        });
    }

    [Test]
    public void Each_provider_gets_its_own_messages()
    {
        var claimed = new[] { Claimed(1), Claimed(2, Provider.GitHub), Claimed(3), Claimed(4, Provider.GitHub) };

        var messages = OutboxMessages.From(claimed, deliveriesPerMessage: 200);

        Assert.That(messages.Select(m => (m.Provider, m.Batch?.Deliveries.Count)), Is.EquivalentTo(new (Provider, int?)[] { (Provider.Jira, 2), (Provider.GitHub, 2) }));
    }

    [Test]
    public void A_delivery_attempted_before_goes_alone_so_its_retries_and_dead_letter_are_its_own()
    {
        var retried = Claimed(2, attempts: 1);
        var claimed = new[] { Claimed(1), retried, Claimed(3) };

        var messages = OutboxMessages.From(claimed, deliveriesPerMessage: 200);

        Assert.That(messages.Where(m => m.Single is not null).Select(m => m.Single!.DeliveryId), Is.EqualTo(new[] { retried.DeliveryId }));
        Assert.That(messages.Single(m => m.Batch is not null).Deliveries, Has.Count.EqualTo(2));
    }

    [Test]
    public void One_delivery_per_message_sends_only_process_delivery_for_workers_from_before_batches()
    {
        var messages = OutboxMessages.From([Claimed(1), Claimed(2), Claimed(3)], deliveriesPerMessage: 1);

        Assert.That(messages.Select(m => m.Batch), Is.All.Null);
        Assert.That(messages.Select(m => m.Single), Has.None.Null);
    }
}
