using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class OutboxEntryConfiguration : IEntityTypeConfiguration<OutboxEntry>
{
    public void Configure(EntityTypeBuilder<OutboxEntry> builder)
    {
        builder.ToTable("outbox");
        // One index: the relay claims oldest first and deletes by the same key; a delivery put back while still waiting
        // conflicts on it (same received_at and id) and is not added twice. Its rows are filled by triggers on deliveries
        // (migration OutboxTable), which the model cannot express.
        builder.HasKey(o => new { o.ReceivedAt, o.DeliveryId });
    }
}
