using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Webhooks.Persistence;

/// <summary>Lets <c>dotnet ef</c> work against this library alone; it never connects to add a migration.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<WebhooksDbContext>
{
    public WebhooksDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Webhooks")
            ?? "Host=127.0.0.1;Database=webhooks;Username=webhooks;Password=webhooks";
        return new WebhooksDbContext(new DbContextOptionsBuilder<WebhooksDbContext>().UseNpgsql(connectionString).Options);
    }
}
