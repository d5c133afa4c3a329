using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class LinkConfiguration : IEntityTypeConfiguration<Link>
{
    public void Configure(EntityTypeBuilder<Link> builder)
    {
        builder.ToTable("links");
        builder.Property(l => l.ExternalId).HasMaxLength(200);
        builder.Property(l => l.ExternalKey).HasMaxLength(200);
        builder.Property(l => l.ExternalUrl).HasMaxLength(2000);
        builder.HasOne<Record>().WithMany().HasForeignKey(l => l.RecordId);
        builder.HasOne<Integration>().WithMany().HasForeignKey(l => l.IntegrationId);
        // Target resolution looks links up by the sender's item id first.
        builder.HasIndex(l => new { l.ExternalId, l.IntegrationId });
        builder.HasIndex(l => new { l.RecordId, l.IntegrationId, l.ExternalId }).IsUnique();
    }
}
