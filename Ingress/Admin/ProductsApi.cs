using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;

namespace Webhooks.Ingress.Admin;

public static partial class ProductsApi
{
    public static RouteGroupBuilder MapProductsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/accounts/{accountId:guid}/products", CreateProductAsync).WithTags("Products").WithName("CreateProduct")
            .WithSummary("Add a product to an account; its key prefixes record reference numbers and is unique in the account (409)");
        admin.MapPut("/products/{id:guid}/members/{userId:guid}", PutMemberAsync).WithTags("Products").WithName("PutProductMember")
            .WithSummary("Give a user of the product's account a role in the product (insert or update)");
        return admin;
    }

    public static async Task<Results<Created<ProductResponse>, ValidationProblem, ProblemHttpResult>> CreateProductAsync(
        Guid accountId, CreateProductRequest request, WebhooksDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var key = request.Key?.Trim();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(key) || !KeyPattern().IsMatch(key))
        {
            return AdminResults.Invalid("key", "The key is required: 1 to 20 letters, digits or underscores, starting with a letter.");
        }
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return AdminResults.Invalid("name", "The name is required, at most 200 characters.");
        }
        if (!await db.Accounts.AnyAsync(a => a.Id == accountId, cancellationToken))
        {
            return AdminResults.NotFound("account", accountId);
        }
        if (await db.Products.AnyAsync(p => p.AccountId == accountId && p.Key == key, cancellationToken))
        {
            return AdminResults.Conflict($"The account already has a product with key {key}.");
        }

        var product = new Product { Id = Guid.NewGuid(), AccountId = accountId, Key = key, Name = name, CreatedAt = clock.GetUtcNow() };
        db.Products.Add(product);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (AdminResults.IsUniqueViolation(e))
        {
            return AdminResults.Conflict($"The account already has a product with key {key}.");
        }
        return TypedResults.Created($"{AdminApi.Prefix}/products/{product.Id}", new ProductResponse(product.Id, product.Key, product.Name));
    }

    public static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> PutMemberAsync(
        Guid id, Guid userId, PutMemberRequest request, WebhooksDbContext db, CancellationToken cancellationToken)
    {
        if (!SnakeCaseEnumConverter<MembershipRole>.TryParse(request.Role, out var role))
        {
            return AdminResults.Invalid("role", "The role must be one of owner, contributor, reviewer, viewer.");
        }
        var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return AdminResults.NotFound("product", id);
        }
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return AdminResults.NotFound("user", userId);
        }
        if (user.AccountId != product.AccountId)
        {
            return AdminResults.Invalid("userId", "The user belongs to another account than the product.");
        }

        // One statement, so two concurrent PUTs for the same member cannot both try to insert.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO memberships (product_id, user_id, role) VALUES ({id}, {userId}, {SnakeCaseEnumConverter<MembershipRole>.ToName(role)})
            ON CONFLICT (product_id, user_id) DO UPDATE SET role = excluded.role
            """, cancellationToken);
        return TypedResults.Ok(new MemberResponse(id, userId, SnakeCaseEnumConverter<MembershipRole>.ToName(role)));
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,19}$")]
    private static partial Regex KeyPattern();
}

public sealed record CreateProductRequest(string? Key, string? Name);

public sealed record ProductResponse(Guid Id, string Key, string Name);

public sealed record PutMemberRequest(string? Role);

public sealed record MemberResponse(Guid ProductId, Guid UserId, string Role);
