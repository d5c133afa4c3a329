using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class IntegrationSigningSecretConfiguration : IEntityTypeConfiguration<IntegrationSigningSecret>
{
    public void Configure(EntityTypeBuilder<IntegrationSigningSecret> builder)
    {
        builder.ToTable("integration_signing_secrets");
        builder.HasIndex(s => new { s.IntegrationId, s.CreatedAt });
        builder.HasOne<Integration>().WithMany().HasForeignKey(s => s.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
