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
        // For Retention:AppliedChanges: each pass reads the oldest entries in order, so its work follows what it deletes.
        // A BRIN index would cost the inserts less, but once deleted pages are reused its ranges no longer say where the
        // old entries are. Built concurrently: a ledger already large is not locked against the workers meanwhile.
        builder.HasIndex(a => a.AppliedAt).IsCreatedConcurrently();
    }
}
