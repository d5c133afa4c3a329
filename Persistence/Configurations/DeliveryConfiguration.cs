using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class DeliveryConfiguration : IEntityTypeConfiguration<Delivery>
{
    public void Configure(EntityTypeBuilder<Delivery> builder)
    {
        builder.ToTable("deliveries");
        // Room on each page for the row's later versions: the worker's attempt and its outcome (a replay's put-back). An
        // update whose new version fits on the same page logs only the changed bytes, and one that changes no indexed column
        // (all of them) writes no index entry at all (a HOT update); on a full page each is a whole new row and an entry in
        // every index.
        builder.HasStorageParameter("fillfactor", 60);
        builder.Property(d => d.Provider).HasMaxLength(20);
        builder.Property(d => d.Status).HasMaxLength(20);
        builder.Property(d => d.Headers).HasColumnType("jsonb");
        builder.Property(d => d.ContentType).HasMaxLength(Delivery.MaxContentTypeLength);
        builder.Property(d => d.SourceDeliveryId).HasMaxLength(Delivery.MaxSourceDeliveryIdLength);
        builder.Property(d => d.TraceParent).HasMaxLength(Delivery.MaxTraceParentLength);
        // No foreign key to integrations: the ingress writes with COPY at full speed, and the delivery log
        // outlives a deleted integration.
        builder.HasIndex(d => new { d.IntegrationId, d.ReceivedAt }).IsDescending(false, true);
        // The delivery log across integrations (admin API, console): newest first, keyset-paged on (received_at, id).
        builder.HasIndex(d => new { d.ReceivedAt, d.Id }).IsDescending(true, true);
        builder.HasIndex(d => new { d.IntegrationId, d.SourceDeliveryId }).HasFilter("source_delivery_id IS NOT NULL");
        // No index may name status or published_at, not even in its predicate: the worker's outcome would then never be a
        // HOT update. What waits for the relay is in the outbox table (OutboxEntry).
        // A replay's progress counts its deliveries; rows never replayed (nearly all) stay out of the index.
        builder.HasIndex(d => d.ReplayId).HasFilter("replay_id IS NOT NULL");
    }
}
