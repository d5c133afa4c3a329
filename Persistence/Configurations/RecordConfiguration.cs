using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class RecordConfiguration : IEntityTypeConfiguration<Record>
{
    public void Configure(EntityTypeBuilder<Record> builder)
    {
        builder.ToTable("records");
        builder.Property(r => r.Kind).HasMaxLength(40);
        builder.Property(r => r.ReferenceNum).HasMaxLength(40);
        builder.Property(r => r.Name).HasMaxLength(1000);
        builder.Property(r => r.Status).HasMaxLength(Record.MaxStatusLength);
        builder.HasOne<Product>().WithMany().HasForeignKey(r => r.ProductId);
        builder.HasIndex(r => new { r.ProductId, r.ReferenceNum }).IsUnique();
    }
}
