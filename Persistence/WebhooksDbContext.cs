using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;

namespace Webhooks.Persistence;

/// <summary>
/// The data layer: injected where it is used, no repositories on top.
/// Add a migration with: <c>dotnet ef migrations add &lt;Name&gt; --project Persistence</c>.
/// </summary>
public sealed class WebhooksDbContext(DbContextOptions<WebhooksDbContext> options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<Integration> Integrations => Set<Integration>();
    public DbSet<IntegrationSigningSecret> IntegrationSigningSecrets => Set<IntegrationSigningSecret>();
    public DbSet<Record> Records => Set<Record>();
    public DbSet<Link> Links => Set<Link>();
    public DbSet<Comment> Comments => Set<Comment>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<AppliedChange> AppliedChanges => Set<AppliedChange>();
    public DbSet<OutboxEntry> Outbox => Set<OutboxEntry>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Enums are stored as their wire names so SQL, logs and the admin API all read the same words.
        configurationBuilder.Properties<Provider>().HaveConversion<ProviderConverter>();
        configurationBuilder.Properties<DeliveryStatus>().HaveConversion<SnakeCaseEnumConverter<DeliveryStatus>>();
        configurationBuilder.Properties<AccountStatus>().HaveConversion<SnakeCaseEnumConverter<AccountStatus>>();
        configurationBuilder.Properties<MembershipRole>().HaveConversion<SnakeCaseEnumConverter<MembershipRole>>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(WebhooksDbContext).Assembly);

        // snake_case columns, so hand-written SQL (COPY, the outbox claim, the directory poll) needs no quoting.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase.From(property.Name));
            }
        }
    }
}
