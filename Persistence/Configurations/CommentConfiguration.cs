using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence.Configurations;

internal sealed class CommentConfiguration : IEntityTypeConfiguration<Comment>
{
    public void Configure(EntityTypeBuilder<Comment> builder)
    {
        builder.ToTable("comments");
        builder.Property(c => c.SourceProvider).HasMaxLength(20);
        builder.Property(c => c.SourceExternalId).HasMaxLength(200);
        builder.Property(c => c.SourceAuthor).HasMaxLength(200);
        builder.HasOne<Record>().WithMany().HasForeignKey(c => c.RecordId);
        builder.HasOne<User>().WithMany().HasForeignKey(c => c.AuthorUserId).OnDelete(DeleteBehavior.Restrict);
        // The domain key: one sender's comment is one comment per record, whichever webhook carried it.
        builder.HasIndex(c => new { c.RecordId, c.SourceProvider, c.SourceExternalId }).IsUnique();
    }
}
