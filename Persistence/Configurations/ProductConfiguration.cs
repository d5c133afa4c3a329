using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> builder)
    {
        builder.ToTable("products");
        builder.Property(p => p.Key).HasMaxLength(20);
        builder.Property(p => p.Name).HasMaxLength(200);
        builder.HasOne<Account>().WithMany().HasForeignKey(p => p.AccountId);
        builder.HasIndex(p => new { p.AccountId, p.Key }).IsUnique();
    }
}
