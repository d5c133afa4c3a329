using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers.Standard;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// An integration's signing secrets, which the admin API names by fingerprint and never shows. Asana hands one over in
/// each webhook's handshake; the ingress takes the first at any time and another only inside a handshake window opened
/// here. Every change moves the integration's directory version (a trigger), so every replica follows within a second.
/// </summary>
public static partial class IntegrationSecretsApi
{
    /// <summary>How long a handshake window stays open: long enough to create a webhook in Asana.</summary>
    public static readonly TimeSpan HandshakeWindow = TimeSpan.FromMinutes(15);

    /// <summary>How long a standard integration's previous secret still verifies after <c>signingSecret</c> is changed.</summary>
    public static readonly TimeSpan RotationGrace = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapIntegrationSecretsApi(this RouteGroupBuilder integrations)
    {
        integrations.MapPost("/{id:guid}/handshake-window", OpenHandshakeWindowAsync).WithName("OpenHandshakeWindow")
            .WithSummary("For 15 minutes, take the signing secret from another Asana webhook's handshake (Asana integrations only)");
        integrations.MapPost("/{id:guid}/secrets", AddSigningSecretAsync).WithName("AddSigningSecret")
            .WithSummary("Add a signing secret beside those in force, to rotate a sender's secret without refusing its deliveries; remove the old one by fingerprint once the sender switched");
        integrations.MapDelete("/{id:guid}/secrets/{fingerprint}", DeleteSigningSecretAsync).WithName("DeleteSigningSecret")
            .WithSummary("Remove one signing secret, named by its fingerprint; signatures made with it stop verifying");
        return integrations;
    }

    public static async Task<Results<Ok<HandshakeWindowResponse>, ProblemHttpResult>> OpenHandshakeWindowAsync(
        Guid id, WebhooksDbContext db, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var integration = await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (integration is null)
        {
            return AdminResults.NotFound("integration", id);
        }
        if (integration.Provider != Provider.Asana)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No handshake secrets for this provider",
                detail: $"Only Asana hands over signing secrets in handshakes; set a {integration.Provider.ToWireName()} integration's secret with PATCH signingSecret.");
        }
        var now = clock.GetUtcNow();
        integration.HandshakeWindowUntil = now + HandshakeWindow;
        integration.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        Log.WindowOpened(Logger(loggers), id, integration.HandshakeWindowUntil.Value);
        return TypedResults.Ok(new HandshakeWindowResponse(integration.HandshakeWindowUntil.Value));
    }

    /// <summary>
    /// Adds <c>secret</c> to the integration's secrets in force, with no end: both the old and the new verify while the
    /// operator switches the sender (GitHub, Jira, Smartsheet and Trello keep one secret and switch at once), then the old
    /// one is removed by fingerprint. 201 with the new secret's fingerprint; 200 when that secret is already in force (it
    /// then keeps no end, as PATCH does); 409 when the integration already keeps <see cref="IntegrationSigningSecret.MaxPerIntegration"/>.
    /// </summary>
    public static async Task<Results<Created<SigningSecretResponse>, Ok<SigningSecretResponse>, ValidationProblem, ProblemHttpResult>> AddSigningSecretAsync(
        Guid id, AddSigningSecretRequest request, WebhooksDbContext db, IntegrationsByToken integrationsByToken, SecretProtector secrets,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Secret))
        {
            return AdminResults.Invalid("secret", "The secret is required.");
        }
        var provider = await db.Integrations.Where(i => i.Id == id).Select(i => (Provider?)i.Provider).FirstOrDefaultAsync(cancellationToken);
        if (provider is null)
        {
            return AdminResults.NotFound("integration", id);
        }
        if (SecretProblem(provider.Value, request.Secret) is { } problem)
        {
            return AdminResults.Invalid("secret", problem);
        }
        var now = clock.GetUtcNow();
        var fingerprint = IntegrationSigningSecret.Fingerprint(request.Secret);
        var (added, kept) = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await LockSecretsAsync(db, id, cancellationToken);
            var inForce = await db.IntegrationSigningSecrets.Where(s => s.IntegrationId == id && (s.ExpiresAt == null || s.ExpiresAt > now))
                .ToListAsync(cancellationToken);
            var same = inForce.FirstOrDefault(s => IsSecret(s, request.Secret, secrets));
            IntegrationSigningSecret? fresh = null;
            if (same is not null)
            {
                same.ExpiresAt = null;
            }
            else if (inForce.Count >= IntegrationSigningSecret.MaxPerIntegration)
            {
                return (null, null);
            }
            else
            {
                fresh = NewSecret(id, request.Secret, secrets, now);
                db.IntegrationSigningSecrets.Add(fresh);
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (fresh, same);
        });
        if (added is null && kept is null)
        {
            return AdminResults.Conflict(
                $"The integration already keeps {IntegrationSigningSecret.MaxPerIntegration} signing secrets; remove one by fingerprint (DELETE …/secrets/{{fingerprint}}) first.");
        }
        await integrationsByToken.RefreshAsync(cancellationToken);
        if (kept is not null)
        {
            return TypedResults.Ok(new SigningSecretResponse(fingerprint, kept.CreatedAt, kept.ExpiresAt));
        }
        Log.SecretAdded(Logger(loggers), id, fingerprint);
        return TypedResults.Created($"{AdminApi.Prefix}/integrations/{id}", new SigningSecretResponse(fingerprint, added!.CreatedAt, added.ExpiresAt));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSigningSecretAsync(
        Guid id, string fingerprint, WebhooksDbContext db, IntegrationsByToken integrationsByToken, SecretProtector secrets, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!await db.Integrations.AnyAsync(i => i.Id == id, cancellationToken))
        {
            return AdminResults.NotFound("integration", id);
        }
        var removed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await LockSecretsAsync(db, id, cancellationToken);
            var stored = await db.IntegrationSigningSecrets.Where(s => s.IntegrationId == id).ToListAsync(cancellationToken);
            var matching = stored.Where(s => string.Equals(FingerprintOf(s, secrets), fingerprint, StringComparison.OrdinalIgnoreCase)).ToList();
            db.IntegrationSigningSecrets.RemoveRange(matching);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return matching.Count;
        });
        if (removed == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"Integration {id} has no signing secret with that fingerprint.");
        }
        await integrationsByToken.RefreshAsync(cancellationToken);
        Log.SecretRemoved(Logger(loggers), id, fingerprint.ToLowerInvariant());
        return TypedResults.NoContent();
    }

    /// <summary>The secrets in force at <paramref name="now"/>, oldest first, by fingerprint.</summary>
    public static async Task<IReadOnlyList<SigningSecretResponse>> ListAsync(
        WebhooksDbContext db, SecretProtector secrets, Guid integrationId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stored = await db.IntegrationSigningSecrets.AsNoTracking()
            .Where(s => s.IntegrationId == integrationId && (s.ExpiresAt == null || s.ExpiresAt > now))
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id)
            .ToListAsync(cancellationToken);
        return stored.Select(s => new SigningSecretResponse(FingerprintOf(s, secrets), s.CreatedAt, s.ExpiresAt)).ToList();
    }

    public static IntegrationSigningSecret NewSecret(Guid integrationId, string secret, SecretProtector secrets, DateTimeOffset now) =>
        new() { Id = Guid.CreateVersion7(), IntegrationId = integrationId, Secret = secrets.Protect(secret)!, CreatedAt = now };

    /// <summary>Why <paramref name="secret"/> cannot be a signing secret of a <paramref name="provider"/> integration, or null.</summary>
    public static string? SecretProblem(Provider provider, string secret) =>
        provider == Provider.Standard ? StandardSecret.Problem(secret) : null;

    /// <summary>
    /// PATCH <c>signingSecret</c>: the integration's secrets become this one (none when empty). A standard integration's
    /// secrets in force stay valid for <see cref="RotationGrace"/> more (<c>expires_at</c>) so that deliveries its sender
    /// signed before switching still verify; other providers' are replaced at once. Runs inside the caller's
    /// transaction, after the integration row was updated (and so locked).
    /// </summary>
    public static async Task ReplaceAsync(
        WebhooksDbContext db, Integration integration, string? secret, SecretProtector secrets, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (integration.Provider != Provider.Standard || string.IsNullOrEmpty(secret))
        {
            await db.IntegrationSigningSecrets.Where(s => s.IntegrationId == integration.Id).ExecuteDeleteAsync(cancellationToken);
            if (!string.IsNullOrEmpty(secret))
            {
                db.IntegrationSigningSecrets.Add(NewSecret(integration.Id, secret, secrets, now));
                await db.SaveChangesAsync(cancellationToken);
            }
            return;
        }

        var stored = await db.IntegrationSigningSecrets.Where(s => s.IntegrationId == integration.Id)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        var graceUntil = now + RotationGrace;
        var kept = new List<IntegrationSigningSecret>();
        IntegrationSigningSecret? same = null;
        foreach (var old in stored)
        {
            if (!old.IsInForceAt(now))
            {
                db.IntegrationSigningSecrets.Remove(old);
            }
            else if (same is null && IsSecret(old, secret, secrets))
            {
                // The secret in force set again: it stays, with no end, and is not stored twice.
                same = old;
                old.ExpiresAt = null;
            }
            else
            {
                old.ExpiresAt = old.ExpiresAt is { } earlier && earlier < graceUntil ? earlier : graceUntil;
                kept.Add(old);
            }
        }
        if (same is null)
        {
            db.IntegrationSigningSecrets.Add(NewSecret(integration.Id, secret, secrets, now));
        }
        // Rotated again and again within a day: the oldest previous secrets go first, so at most 10 are ever in force.
        foreach (var surplus in kept.Take(Math.Max(0, kept.Count + 1 - IntegrationSigningSecret.MaxPerIntegration)))
        {
            db.IntegrationSigningSecrets.Remove(surplus);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Locks the integration's row for the rest of the transaction: a handshake (<see cref="SigningSecretStore"/>), a PATCH
    /// and these endpoints change its secrets in turn, never deciding on what another is changing.
    /// </summary>
    private static Task LockSecretsAsync(WebhooksDbContext db, Guid integrationId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM integrations WHERE id = {integrationId} FOR NO KEY UPDATE", cancellationToken);

    /// <summary>Whether <paramref name="stored"/> holds <paramref name="secret"/> (one that cannot be decrypted holds none).</summary>
    private static bool IsSecret(IntegrationSigningSecret stored, string secret, SecretProtector secrets) =>
        secrets.TryUnprotect(stored.Secret, out var value) && value == secret;

    /// <summary>
    /// The fingerprint of the secret behind a stored value. A value that cannot be decrypted (its key is gone) gets the
    /// fingerprint of the stored text instead, so an operator can still see and remove it.
    /// </summary>
    private static string FingerprintOf(IntegrationSigningSecret stored, SecretProtector secrets) =>
        IntegrationSigningSecret.Fingerprint(secrets.TryUnprotect(stored.Secret, out var secret) && secret is not null ? secret : stored.Secret);

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(IntegrationSecretsApi).FullName!);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4023, Level = LogLevel.Information, Message = "Integration {IntegrationId} takes handshake secrets until {OpenUntil}")]
        public static partial void WindowOpened(ILogger logger, Guid integrationId, DateTimeOffset openUntil);

        [LoggerMessage(EventId = 4024, Level = LogLevel.Information, Message = "Integration {IntegrationId}: signing secret {Fingerprint} removed")]
        public static partial void SecretRemoved(ILogger logger, Guid integrationId, string fingerprint);

        [LoggerMessage(EventId = 4025, Level = LogLevel.Information, Message = "Integration {IntegrationId}: signing secret {Fingerprint} added")]
        public static partial void SecretAdded(ILogger logger, Guid integrationId, string fingerprint);
    }
}

/// <summary>
/// One signing secret as the admin API shows it: its fingerprint (first 12 hex digits of its SHA-256), never its value;
/// <see cref="ExpiresAt"/> is when it stops verifying (a standard integration's previous secret), null when it does not.
/// </summary>
public sealed record SigningSecretResponse(string Fingerprint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>Until when a handshake's secret is taken although the integration already has one.</summary>
public sealed record HandshakeWindowResponse(DateTimeOffset OpenUntil);

/// <summary>POST <c>/integrations/{id}/secrets</c>: the secret to add (its value is never shown again, only its fingerprint).</summary>
public sealed record AddSigningSecretRequest(string? Secret);
