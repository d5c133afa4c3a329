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
        accounts.MapGet("/", ListAccountsAsync).WithName("ListAccounts")
            .WithSummary($"Accounts by name, paged (page from 1, pageSize {Paging.DefaultPageSize} by default, at most {Paging.MaxPageSize}); q searches the name, status filters");
        accounts.MapPost("/", CreateAccountAsync).WithName("CreateAccount").WithSummary("Create an account (status active)");
        accounts.MapGet("/{id:guid}", GetAccountAsync).WithName("GetAccount").WithSummary("Read an account");
        accounts.MapPatch("/{id:guid}", UpdateAccountAsync).WithName("UpdateAccount")
            .WithSummary("Change an account's status; disabled or suspended accounts' webhooks answer 410 at once");
        return admin;
    }

    public static async Task<Results<Created<AccountResponse>, ValidationProblem>> CreateAccountAsync(
        CreateAccountRequest request, WebhooksDbContext db, IntegrationsByToken integrationsByToken, TimeProvider clock, CancellationToken cancellationToken)
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
        await integrationsByToken.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{AdminApi.Prefix}/accounts/{account.Id}", AccountResponse.From(account));
    }

    public static async Task<Results<Ok<ListPage<AccountListItem>>, ValidationProblem>> ListAccountsAsync(
        string? q, string? status, int? page, int? pageSize, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        if (!Paging.TryParse(page, pageSize, out var number, out var size, out var field, out var error))
        {
            return AdminResults.Invalid(field, error);
        }
        var query = db.Accounts.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!SnakeCaseEnumConverter<AccountStatus>.TryParse(status.Trim(), out var wanted))
            {
                return AdminResults.Invalid("status", "The status must be one of active, disabled, suspended.");
            }
            query = query.Where(a => a.Status == wanted);
        }
        if (!Paging.TryReadSearch(q, Paging.MaxSearchLength, out var text, out var searchError))
        {
            return AdminResults.Invalid("q", searchError);
        }
        if (text is not null)
        {
            var pattern = Paging.ContainsPattern(text);
            query = query.Where(a => EF.Functions.ILike(a.Name, pattern, "\\"));
        }
        var total = await query.CountAsync(cancellationToken);
        var rows = await query
            .OrderBy(a => a.Name.ToLower()).ThenBy(a => a.Id)
            .Skip((number - 1) * size).Take(size)
            .Select(a => new { a.Id, a.Name, a.Status, a.CreatedAt, Integrations = db.Integrations.Count(i => i.AccountId == a.Id) })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new ListPage<AccountListItem>(
            rows.Select(a => new AccountListItem(a.Id, a.Name, SnakeCaseEnumConverter<AccountStatus>.ToName(a.Status), a.CreatedAt, a.Integrations)).ToList(),
            number, size, total));
    }

    public static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetAccountAsync(Guid id, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        return account is null ? AdminResults.NotFound("account", id) : TypedResults.Ok(AccountResponse.From(account));
    }

    public static async Task<Results<Ok<AccountResponse>, ValidationProblem, ProblemHttpResult>> UpdateAccountAsync(
        Guid id, UpdateAccountRequest request, WebhooksDbContext db, IntegrationsByToken integrationsByToken, ILoggerFactory loggers,
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
            await integrationsByToken.RefreshAsync(cancellationToken);
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

public sealed record AccountListItem(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, int Integrations);

public sealed record AccountResponse(Guid Id, string Name, string Status)
{
    public static AccountResponse From(Account account) =>
        new(account.Id, account.Name, SnakeCaseEnumConverter<AccountStatus>.ToName(account.Status));
}
