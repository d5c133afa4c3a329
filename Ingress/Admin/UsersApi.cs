using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder admin)
    {
        var users = admin.MapGroup("/accounts/{accountId:guid}/users").WithTags("Users");
        users.MapPost("/", CreateUserAsync).WithName("CreateUser")
            .WithSummary("Add a user to an account; an email already used in the account answers 409");
        return admin;
    }

    public static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(
        Guid accountId, CreateUserRequest request, WebhooksDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return AdminResults.Invalid("name", "The name is required, at most 200 characters.");
        }
        if (string.IsNullOrEmpty(email) || email.Length > 320 || email.IndexOf('@', StringComparison.Ordinal) is <= 0 || email.EndsWith('@'))
        {
            return AdminResults.Invalid("email", "A valid email address is required.");
        }
        if (!await db.Accounts.AnyAsync(a => a.Id == accountId, cancellationToken))
        {
            return AdminResults.NotFound("account", accountId);
        }
        var lowered = email.ToLowerInvariant();
        if (await db.Users.AnyAsync(u => u.AccountId == accountId && u.Email.ToLower() == lowered, cancellationToken))
        {
            return AdminResults.Conflict($"The account already has a user with email {email}.");
        }

        var user = new User { Id = Guid.NewGuid(), AccountId = accountId, Name = name, Email = email, CreatedAt = clock.GetUtcNow() };
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (AdminResults.IsUniqueViolation(e))
        {
            return AdminResults.Conflict($"The account already has a user with email {email}.");
        }
        return TypedResults.Created($"{AdminApi.Prefix}/accounts/{accountId}/users/{user.Id}", new UserResponse(user.Id, user.Name, user.Email));
    }
}

public sealed record CreateUserRequest(string? Name, string? Email);

public sealed record UserResponse(Guid Id, string Name, string Email);
