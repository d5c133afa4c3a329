using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;
using Webhooks.Persistence.Fetching;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Admin;

/// <summary>
/// Integrations: the token is made here, answered once, and only its hash is stored. Every write refreshes this
/// replica's directory before answering, so a disable, a rotation or a new integration applies to the next webhook.
/// </summary>
public static partial class IntegrationsApi
{
    public static RouteGroupBuilder MapIntegrationsApi(this RouteGroupBuilder admin)
    {
        var integrations = admin.MapGroup("/integrations").WithTags("Integrations");
        integrations.MapGet("/", ListIntegrationsAsync).WithName("ListIntegrations")
            .WithSummary($"Integrations by account and name, paged (page from 1, pageSize {Paging.DefaultPageSize} by default, at most {Paging.MaxPageSize}); " +
                "filter by accountId, provider, enabled; q searches the integration, account, product and run-as user names, the product key, the user's email and ids");
        integrations.MapPost("/", CreateIntegrationAsync).WithName("CreateIntegration")
            .WithSummary("Create an integration; the answer carries its token and callback URL, shown this once");
        integrations.MapGet("/{id:guid}", GetIntegrationAsync).WithName("GetIntegration")
            .WithSummary("Read an integration (never its token, signing secrets or API token; its secrets by fingerprint)");
        integrations.MapPatch("/{id:guid}", UpdateIntegrationAsync).WithName("UpdateIntegration")
            .Accepts<UpdateIntegrationRequest>("application/json")
            .WithSummary("Change any of enabled, runAsUserId, name, templateId, settings, signingSecret (replaces every secret; a standard integration's previous ones verify 24 h more); the token stays");
        integrations.MapPost("/{id:guid}/token", RotateTokenAsync).WithName("RotateIntegrationToken")
            .WithSummary("Make a new token; the old one answers 410 from now on");
        integrations.MapIntegrationSecretsApi();
        return admin;
    }

    public static async Task<Results<Created<CreatedIntegrationResponse>, ValidationProblem, ProblemHttpResult>> CreateIntegrationAsync(
        CreateIntegrationRequest request, WebhooksDbContext db, IntegrationsByToken integrationsByToken, IOptions<IngressOptions> options,
        SecretProtector secrets, TimeProvider clock, ILoggerFactory loggers, ApiBaseUrlPolicy baseUrls, CancellationToken cancellationToken)
    {
        if (request.ProductId is not { } productId)
        {
            return AdminResults.Invalid("productId", "The productId is required.");
        }
        if (!ProviderNames.TryParse(request.Provider, out var provider))
        {
            return AdminResults.Invalid("provider", $"The provider must be one of {ProviderNames.Known}.");
        }
        if (request.Version is not (1 or 2))
        {
            return AdminResults.Invalid("version", "The version must be 1 or 2.");
        }
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            return AdminResults.Invalid("name", "The name is required, at most 200 characters.");
        }
        if (request.RunAsUserId is not { } runAsUserId)
        {
            return AdminResults.Invalid("runAsUserId", "The runAsUserId is required.");
        }
        if (!string.IsNullOrEmpty(request.SigningSecret) && IntegrationSecretsApi.SecretProblem(provider.Value, request.SigningSecret) is { } secretProblem)
        {
            return AdminResults.Invalid("signingSecret", secretProblem);
        }
        var settings = "{}";
        if (request.Settings is { ValueKind: not JsonValueKind.Null } given)
        {
            var (json, field, error) = IntegrationSettingsJson.Normalize(given, current: null, provider.Value, secrets, baseUrls);
            if (json is null)
            {
                return AdminResults.Invalid(field, error!);
            }
            settings = json;
        }

        var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == productId, cancellationToken);
        if (product is null)
        {
            return AdminResults.NotFound("product", productId);
        }
        if (await CheckRunAsUserAsync(db, product.AccountId, runAsUserId, cancellationToken) is { } userProblem)
        {
            return userProblem;
        }
        string? templateWarning = null;
        if (request.TemplateId is { } templateId)
        {
            if (await CheckTemplateAsync(db, product.AccountId, provider.Value, templateId, cancellationToken) is { } templateProblem)
            {
                return templateProblem;
            }
            // A new integration cannot be in a loop itself, but its template can lead into one.
            templateWarning = await CircularChainWarningAsync(db, templateId, self: null, cancellationToken);
        }

        var token = WebhookToken.New();
        var now = clock.GetUtcNow();
        var integration = new Integration
        {
            Id = Guid.NewGuid(),
            AccountId = product.AccountId,
            ProductId = product.Id,
            Provider = provider.Value,
            Version = request.Version.Value,
            Name = name,
            Enabled = true,
            TokenHash = WebhookToken.Hash(token),
            RunAsUserId = runAsUserId,
            TemplateId = request.TemplateId,
            Settings = settings,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Integrations.Add(integration);
        if (!string.IsNullOrEmpty(request.SigningSecret))
        {
            db.IntegrationSigningSecrets.Add(IntegrationSecretsApi.NewSecret(integration.Id, request.SigningSecret, secrets, now));
        }
        await db.SaveChangesAsync(cancellationToken);
        await integrationsByToken.RefreshAsync(cancellationToken);
        Log.Created(Logger(loggers), integration.Id, integration.AccountId, provider.Value.ToWireName(), integration.Version);

        if (templateWarning is not null)
        {
            Log.CircularTemplate(Logger(loggers), integration.Id);
        }
        var answer = CreatedIntegrationResponse.From(integration, await IntegrationSecretsApi.ListAsync(db, secrets, integration.Id, now, cancellationToken),
            token, WebhookToken.CallbackUrl(options.Value.PublicBaseUrl, token)) with { Warnings = templateWarning is null ? null : [templateWarning] };
        return TypedResults.Created($"{AdminApi.Prefix}/integrations/{integration.Id}", answer);
    }

    public static async Task<Results<Ok<ListPage<IntegrationListItem>>, ValidationProblem>> ListIntegrationsAsync(
        string? accountId, string? provider, string? enabled, string? q, int? page, int? pageSize, WebhooksDbContext db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!IntegrationListFilter.TryParse(accountId, provider, enabled, q, page, pageSize, out var filter, out var field, out var error))
        {
            return AdminResults.Invalid(field, error);
        }
        return TypedResults.Ok(await IntegrationList.ReadAsync(db, filter, clock.GetUtcNow(), cancellationToken));
    }

    public static async Task<Results<Ok<IntegrationResponse>, ProblemHttpResult>> GetIntegrationAsync(
        Guid id, WebhooksDbContext db, SecretProtector secrets, TimeProvider clock, CancellationToken cancellationToken)
    {
        var integration = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        return integration is null
            ? AdminResults.NotFound("integration", id)
            : TypedResults.Ok(IntegrationResponse.From(integration, await IntegrationSecretsApi.ListAsync(db, secrets, id, clock.GetUtcNow(), cancellationToken)));
    }

    /// <summary>
    /// Only the properties present change. <c>templateId: null</c> removes the template; <c>signingSecret</c> replaces all
    /// the integration's secrets with that one (<c>null</c> or <c>""</c>: with none); <c>settings</c> replaces the settings
    /// (keeping the stored apiToken unless given).
    /// The body is read as JSON rather than bound to a record so that an absent property and an explicit null differ.
    /// </summary>
    public static async Task<Results<Ok<IntegrationResponse>, ValidationProblem, ProblemHttpResult>> UpdateIntegrationAsync(
        Guid id, JsonElement body, WebhooksDbContext db, IntegrationsByToken integrationsByToken, SecretProtector secrets, TimeProvider clock,
        ILoggerFactory loggers, ApiBaseUrlPolicy baseUrls, CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return AdminResults.Invalid("body", "The body must be a JSON object.");
        }
        var integration = await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (integration is null)
        {
            return AdminResults.NotFound("integration", id);
        }

        var changed = new List<string>();
        var warnings = new List<string>();
        var replacesSecrets = false;
        string? newSecret = null;
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name.ToLowerInvariant())
            {
                case "enabled":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return AdminResults.Invalid("enabled", "enabled must be true or false.");
                    }
                    integration.Enabled = value.GetBoolean();
                    changed.Add("enabled");
                    break;
                case "name":
                    var name = value.ValueKind == JsonValueKind.String ? value.GetString()!.Trim() : null;
                    if (string.IsNullOrEmpty(name) || name.Length > 200)
                    {
                        return AdminResults.Invalid("name", "The name must be a non-empty string of at most 200 characters.");
                    }
                    integration.Name = name;
                    changed.Add("name");
                    break;
                case "runasuserid":
                    if (value.ValueKind != JsonValueKind.String || !value.TryGetGuid(out var runAsUserId))
                    {
                        return AdminResults.Invalid("runAsUserId", "runAsUserId must be a user id.");
                    }
                    if (await CheckRunAsUserAsync(db, integration.AccountId, runAsUserId, cancellationToken) is { } userProblem)
                    {
                        return userProblem;
                    }
                    integration.RunAsUserId = runAsUserId;
                    changed.Add("runAsUserId");
                    break;
                case "templateid":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        integration.TemplateId = null;
                    }
                    else if (value.ValueKind == JsonValueKind.String && value.TryGetGuid(out var templateId))
                    {
                        if (await CheckTemplateAsync(db, integration.AccountId, integration.Provider, templateId, cancellationToken) is { } templateProblem)
                        {
                            return templateProblem;
                        }
                        integration.TemplateId = templateId;
                        // Taken, as the design brief has the worker record a circular chain on each delivery; the answer says so.
                        if (await CircularChainWarningAsync(db, templateId, integration.Id, cancellationToken) is { } warning)
                        {
                            warnings.Add(warning);
                        }
                    }
                    else
                    {
                        return AdminResults.Invalid("templateId", "templateId must be an integration id or null.");
                    }
                    changed.Add("templateId");
                    break;
                case "settings":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        integration.Settings = "{}";
                    }
                    else
                    {
                        var (json, field, error) = IntegrationSettingsJson.Normalize(value, integration.Settings, integration.Provider, secrets, baseUrls);
                        if (json is null)
                        {
                            return AdminResults.Invalid(field, error!);
                        }
                        integration.Settings = json;
                    }
                    changed.Add("settings");
                    break;
                case "signingsecret":
                    if (value.ValueKind is not (JsonValueKind.Null or JsonValueKind.String))
                    {
                        return AdminResults.Invalid("signingSecret", "signingSecret must be a string or null.");
                    }
                    replacesSecrets = true;
                    newSecret = value.GetString();
                    if (!string.IsNullOrEmpty(newSecret) && IntegrationSecretsApi.SecretProblem(integration.Provider, newSecret) is { } secretProblem)
                    {
                        return AdminResults.Invalid("signingSecret", secretProblem);
                    }
                    changed.Add("signingSecret");
                    break;
                default:
                    // Read-only or unknown properties (id, provider, version, productId …) are not changed here.
                    break;
            }
        }

        var now = clock.GetUtcNow();
        if (changed.Count > 0)
        {
            integration.UpdatedAt = now;
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                // The integration's row is updated first: its lock makes a handshake adding a secret wait for this change.
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                if (replacesSecrets)
                {
                    await IntegrationSecretsApi.ReplaceAsync(db, integration, newSecret, secrets, now, cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
            });
            await integrationsByToken.RefreshAsync(cancellationToken);
            Log.Updated(Logger(loggers), integration.Id, string.Join(',', changed));
        }
        if (warnings.Count > 0)
        {
            Log.CircularTemplate(Logger(loggers), integration.Id);
        }
        return TypedResults.Ok(IntegrationResponse.From(integration, await IntegrationSecretsApi.ListAsync(db, secrets, integration.Id, now, cancellationToken))
            with { Warnings = warnings.Count > 0 ? warnings : null });
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RotateTokenAsync(
        Guid id, WebhooksDbContext db, IntegrationsByToken integrationsByToken, IOptions<IngressOptions> options, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var token = WebhookToken.New();
        var hash = WebhookToken.Hash(token);
        var now = clock.GetUtcNow();
        var updated = await db.Integrations.Where(i => i.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(i => i.TokenHash, hash).SetProperty(i => i.UpdatedAt, now), cancellationToken);
        if (updated == 0)
        {
            return AdminResults.NotFound("integration", id);
        }
        await integrationsByToken.RefreshAsync(cancellationToken);
        Log.TokenRotated(Logger(loggers), id);
        return TypedResults.Ok(new TokenResponse(token, WebhookToken.CallbackUrl(options.Value.PublicBaseUrl, token)));
    }

    private static async Task<ValidationProblem?> CheckRunAsUserAsync(WebhooksDbContext db, Guid accountId, Guid userId, CancellationToken cancellationToken)
    {
        var userAccount = await db.Users.Where(u => u.Id == userId).Select(u => (Guid?)u.AccountId).FirstOrDefaultAsync(cancellationToken);
        return userAccount == accountId ? null : AdminResults.Invalid("runAsUserId", "The run-as user must be a user of the integration's account.");
    }

    /// <summary>The template must be an integration of the same account and provider.</summary>
    private static async Task<ValidationProblem?> CheckTemplateAsync(
        WebhooksDbContext db, Guid accountId, Provider provider, Guid templateId, CancellationToken cancellationToken)
    {
        var template = await db.Integrations.AsNoTracking()
            .Where(i => i.Id == templateId).Select(i => new { i.AccountId, i.Provider }).FirstOrDefaultAsync(cancellationToken);
        if (template is null || template.AccountId != accountId)
        {
            return AdminResults.Invalid("templateId", "The template must be an integration of the same account.");
        }
        return template.Provider != provider ? AdminResults.Invalid("templateId", "The template must be an integration of the same provider.") : null;
    }

    /// <summary>
    /// Why the chain from <paramref name="templateId"/> never ends, when it does not: it leads back to
    /// <paramref name="self"/> (the integration being changed; null for one being made), or into a loop of other
    /// integrations. Null when it ends.
    /// </summary>
    private static async Task<string?> CircularChainWarningAsync(WebhooksDbContext db, Guid templateId, Guid? self, CancellationToken cancellationToken)
    {
        const string Fails = "Its deliveries fail with that reason until a templateId in the chain is changed.";
        var seen = new HashSet<Guid>();
        for (Guid? next = templateId; next is { } current; )
        {
            if (current == self)
            {
                return "The template chain is circular: it leads back to this integration, so every integration whose chain reaches it fails too. " + Fails;
            }
            if (!seen.Add(current))
            {
                return "The template chain is circular: it runs into a loop of other integrations' templates. " + Fails;
            }
            next = await db.Integrations.Where(i => i.Id == current).Select(i => i.TemplateId).FirstOrDefaultAsync(cancellationToken);
        }
        return null;
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(IntegrationsApi).FullName!);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Integration {IntegrationId} created in account {AccountId} for {Provider} v{Version}")]
        public static partial void Created(ILogger logger, Guid integrationId, Guid accountId, string provider, int version);

        [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Integration {IntegrationId} changed: {Fields}")]
        public static partial void Updated(ILogger logger, Guid integrationId, string fields);

        [LoggerMessage(EventId = 4026, Level = LogLevel.Warning, Message = "Integration {IntegrationId}'s template chain is circular: its deliveries fail until a templateId is changed")]
        public static partial void CircularTemplate(ILogger logger, Guid integrationId);

        [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Integration {IntegrationId} token rotated; the old token is gone")]
        public static partial void TokenRotated(ILogger logger, Guid integrationId);
    }
}

public sealed record CreateIntegrationRequest(
    Guid? ProductId, string? Provider, int? Version, string? Name, Guid? RunAsUserId, Guid? TemplateId, JsonElement? Settings, string? SigningSecret);

/// <summary>The shape of a PATCH body, for the OpenAPI document; the handler reads the JSON itself.</summary>
public sealed record UpdateIntegrationRequest(bool? Enabled, Guid? RunAsUserId, string? Name, Guid? TemplateId, JsonElement? Settings, string? SigningSecret);

public record IntegrationResponse
{
    public required Guid Id { get; init; }
    public required Guid ProductId { get; init; }
    public required Guid AccountId { get; init; }
    public required string Provider { get; init; }
    public required int Version { get; init; }
    public required string Name { get; init; }
    public required bool Enabled { get; init; }
    public required Guid RunAsUserId { get; init; }
    public required Guid? TemplateId { get; init; }
    /// <summary>The settings without <c>apiToken</c>.</summary>
    public required JsonElement Settings { get; init; }
    public required bool HasSigningSecret { get; init; }
    /// <summary>The secrets a signature may be made with, oldest first, each by its fingerprint (never the value).</summary>
    public required IReadOnlyList<SigningSecretResponse> SigningSecrets { get; init; }
    public required bool HasApiToken { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>What a change was taken with but will make fail (a circular template chain); absent when nothing.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Warnings { get; init; }

    public static IntegrationResponse From(Integration integration, IReadOnlyList<SigningSecretResponse> signingSecrets) => new()
    {
        Id = integration.Id,
        ProductId = integration.ProductId,
        AccountId = integration.AccountId,
        Provider = integration.Provider.ToWireName(),
        Version = integration.Version,
        Name = integration.Name,
        Enabled = integration.Enabled,
        RunAsUserId = integration.RunAsUserId,
        TemplateId = integration.TemplateId,
        Settings = IntegrationSettingsJson.Shown(integration.Settings),
        HasSigningSecret = signingSecrets.Count > 0,
        SigningSecrets = signingSecrets,
        HasApiToken = IntegrationSettingsJson.HasApiToken(integration.Settings),
        CreatedAt = integration.CreatedAt,
        UpdatedAt = integration.UpdatedAt,
    };
}

/// <summary>The answer to a create: the integration plus its token and callback URL, which are never shown again.</summary>
public sealed record CreatedIntegrationResponse : IntegrationResponse
{
    public required string Token { get; init; }
    public required string CallbackUrl { get; init; }

    [SetsRequiredMembers]
    private CreatedIntegrationResponse(IntegrationResponse integration, string token, string callbackUrl) : base(integration)
    {
        Token = token;
        CallbackUrl = callbackUrl;
    }

    public static CreatedIntegrationResponse From(Integration integration, IReadOnlyList<SigningSecretResponse> signingSecrets, string token, string callbackUrl) =>
        new(IntegrationResponse.From(integration, signingSecrets), token, callbackUrl);
}

public sealed record TokenResponse(string Token, string CallbackUrl);
