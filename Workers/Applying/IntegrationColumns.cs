using System.Linq.Expressions;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Applying;

/// <summary>
/// The columns of <c>integrations</c> the worker role may read (Persistence/Sql/grants.sql): all but the token hash and
/// the handshake window, which only the ingress needs. Loading the whole entity would select them and be refused.
/// </summary>
public static class IntegrationColumns
{
    // A field, not Array.Empty<byte>(): EF Core reads a field's value per query but compiles a method call into a delegate
    // first, every time the query runs (~3 % of a worker's CPU at a moderate rate, one or two such queries per batch).
    private static readonly byte[] NoTokenHash = [];

    public static readonly Expression<Func<Integration, Integration>> WithoutSecrets = i => new Integration
    {
        Id = i.Id,
        AccountId = i.AccountId,
        ProductId = i.ProductId,
        Provider = i.Provider,
        Version = i.Version,
        Name = i.Name,
        Enabled = i.Enabled,
        TokenHash = NoTokenHash,
        RunAsUserId = i.RunAsUserId,
        TemplateId = i.TemplateId,
        Settings = i.Settings,
        CreatedAt = i.CreatedAt,
        UpdatedAt = i.UpdatedAt,
    };

    private static Func<Integration, Integration>? _copy;

    /// <summary>A detached copy of a loaded integration, of the same columns (compiled on first use).</summary>
    public static Integration Copy(Integration integration) => (_copy ??= WithoutSecrets.Compile())(integration);
}
