using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class IntegrationConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> builder)
    {
        builder.ToTable("integrations");
        builder.Property(i => i.Provider).HasMaxLength(20);
        builder.Property(i => i.Name).HasMaxLength(200);
        builder.Property(i => i.TokenHash).HasMaxLength(32);
        builder.Property(i => i.Settings).HasColumnType("jsonb");
        builder.HasIndex(i => i.TokenHash).IsUnique();
        builder.HasIndex(i => new { i.AccountId, i.Provider, i.Version });
        builder.HasOne<Account>().WithMany().HasForeignKey(i => i.AccountId);
        builder.HasOne<Product>().WithMany().HasForeignKey(i => i.ProductId);
        builder.HasOne<User>().WithMany().HasForeignKey(i => i.RunAsUserId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Integration>().WithMany().HasForeignKey(i => i.TemplateId).OnDelete(DeleteBehavior.Restrict);
        builder.ToTable(t => t.HasCheckConstraint("ck_integrations_version", "version IN (1, 2)"));
    }
}
