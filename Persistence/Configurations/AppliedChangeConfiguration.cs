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
    }
}
