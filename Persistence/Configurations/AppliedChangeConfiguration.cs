using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class AppliedChangeConfiguration : IEntityTypeConfiguration<AppliedChange>
{
    public void Configure(EntityTypeBuilder<AppliedChange> builder)
    {
        builder.ToTable("applied_changes");
        builder.HasKey(a => new { a.RecordId, a.DedupKey });
        builder.Property(a => a.DedupKey).HasMaxLength(400);
        // For Retention:AppliedChanges: entries arrive in applied_at order, so a BRIN index (a few pages, nearly nothing per
        // insert) finds the old ones; a B-tree would cost every applied change another index write.
        builder.HasIndex(a => a.AppliedAt).HasMethod("brin").HasStorageParameter("autosummarize", true);
    }
}
