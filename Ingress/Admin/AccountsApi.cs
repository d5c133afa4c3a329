using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

public static partial class AccountsApi
{
    public static RouteGroupBuilder MapAccountsApi(this RouteGroupBuilder admin)
    {
        var accounts = admin.MapGroup("/accounts").WithTags("Accounts");
        accounts.MapPost("/", CreateAccountAsync).WithName("CreateAccount").WithSummary("Create an account (status active)");
        accounts.MapGet("/{id:guid}", GetAccountAsync).WithName("GetAccount").WithSummary("Read an account");
        accounts.MapPatch("/{id:guid}", UpdateAccountAsync).WithName("UpdateAccount")
            .WithSummary("Change an account's status; disabled or suspended accounts' webhooks answer 410 at once");
        return admin;
    }

    public static async Task<Results<Created<AccountResponse>, ValidationProblem>> CreateAccountAsync(
        CreateAccountRequest request, WebhooksDbContext db, IntegrationDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return AdminResults.Invalid("name", "The name is required, at most 200 characters.");
        }
        var account = new Account { Id = Guid.NewGuid(), Name = name, Status = AccountStatus.Active, CreatedAt = clock.GetUtcNow() };
        db.Accounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        // Every account write moves the directory's version; reading it now keeps this replica's view current.
        await directory.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{AdminApi.Prefix}/accounts/{account.Id}", AccountResponse.From(account));
    }

    public static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetAccountAsync(Guid id, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        return account is null ? AdminResults.NotFound("account", id) : TypedResults.Ok(AccountResponse.From(account));
    }

    public static async Task<Results<Ok<AccountResponse>, ValidationProblem, ProblemHttpResult>> UpdateAccountAsync(
        Guid id, UpdateAccountRequest request, WebhooksDbContext db, IntegrationDirectory directory, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!SnakeCaseEnumConverter<AccountStatus>.TryParse(request.Status, out var status))
        {
            return AdminResults.Invalid("status", "The status must be one of active, disabled, suspended.");
        }
        var account = await db.Accounts.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return AdminResults.NotFound("account", id);
        }
        if (account.Status != status)
        {
            var previous = account.Status;
            account.Status = status;
            await db.SaveChangesAsync(cancellationToken);
            // This replica applies it before answering; the others poll within their refresh interval.
            await directory.RefreshAsync(cancellationToken);
            Log.StatusChanged(loggers.CreateLogger(typeof(AccountsApi).FullName!), account.Id, SnakeCaseEnumConverter<AccountStatus>.ToName(previous), SnakeCaseEnumConverter<AccountStatus>.ToName(status));
        }
        return TypedResults.Ok(AccountResponse.From(account));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Account {AccountId} status {Previous} → {Status}")]
        public static partial void StatusChanged(ILogger logger, Guid accountId, string previous, string status);
    }
}

public sealed record CreateAccountRequest(string? Name);

public sealed record UpdateAccountRequest(string? Status);

public sealed record AccountResponse(Guid Id, string Name, string Status)
{
    public static AccountResponse From(Account account) =>
        new(account.Id, account.Name, SnakeCaseEnumConverter<AccountStatus>.ToName(account.Status));
}
