using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;

namespace Webhooks.Ingress.Webhook;

/// <summary>
/// Every integration, keyed by token hash, in memory: a token is answered without a database query, unknown ones
/// included (a flood of random tokens never reaches PostgreSQL), and tokens still resolve while PostgreSQL is down.
/// Each replica polls for rows whose directory_version moved (a trigger numbers every change to integrations and
/// accounts, and every change to an integration's signing secrets, in commit order), so a disable, suspension, rotation
/// or secret added or removed anywhere takes effect within one interval. The admin API refreshes its own replica at once.
/// Signing secrets are stored encrypted (<see cref="SecretProtector"/>) and decrypted here, once per change; a secret
/// that cannot be decrypted (its key is gone) verifies nothing, so signatures made with it are answered 401 rather than
/// accepted unverified.
/// </summary>
public sealed partial class IntegrationsByToken(
    NpgsqlDataSource dataSource,
    SecretProtector secrets,
    IOptions<IngressOptions> options,
    ILogger<IntegrationsByToken> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, LiveIntegration> _byTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, string> _tokenHashById = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _version = -1;
    private volatile bool _loaded;

    public bool IsLoaded => _loaded;

    public int Count => _byTokenHash.Count;

    /// <summary>The integration a token belongs to, live or not; null when no integration has this token or it is not well-formed.</summary>
    public LiveIntegration? Find(string token)
    {
        if (!WebhookToken.IsWellFormed(token))
        {
            return null;
        }
        Span<char> tokenHash = stackalloc char[WebhookToken.HashHexLength];
        WebhookToken.HashHex(token, tokenHash);
        return _byTokenHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(tokenHash, out var integration) ? integration : null;
    }

    /// <summary>
    /// The integration a webhook request's token names, hashed and looked up once per request: the rate limiter and the
    /// endpoint both ask. A miss is not kept (the directory may still be loading when the limiter asks).
    /// </summary>
    public LiveIntegration? FindFor(HttpContext context, string token)
    {
        if (context.Items.TryGetValue(RequestItem, out var found))
        {
            return (LiveIntegration)found!;
        }
        var integration = Find(token);
        if (integration is not null)
        {
            context.Items[RequestItem] = integration;
        }
        return integration;
    }

    private static readonly object RequestItem = new();

    public LiveIntegration? FindById(Guid id) =>
        _tokenHashById.TryGetValue(id, out var hash) && _byTokenHash.TryGetValue(hash, out var integration) ? integration : null;

    /// <summary>Reads every change since the last refresh. Called by the poller, and by the admin API after a write.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            // A secret added or removed moves its integration's directory_version (a trigger on integration_signing_secrets),
            // so the integration's whole list is read again with it.
            await using var command = dataSource.CreateCommand("""
                SELECT i.id, i.account_id, i.provider, i.enabled, i.token_hash, s.secrets, i.settings::text, a.status,
                       GREATEST(i.directory_version, a.directory_version), s.created, s.expires
                FROM integrations i JOIN accounts a ON a.id = i.account_id
                LEFT JOIN LATERAL (
                    SELECT array_agg(secret ORDER BY created_at, id) AS secrets,
                           array_agg(created_at ORDER BY created_at, id) AS created,
                           array_agg(expires_at ORDER BY created_at, id) AS expires
                    FROM integration_signing_secrets WHERE integration_id = i.id) s ON true
                WHERE i.directory_version > $1 OR a.directory_version > $1
                """);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _version });
            var highest = _version;
            var changed = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var integration = new LiveIntegration(
                        reader.GetGuid(0),
                        reader.GetGuid(1),
                        ProviderNames.TryParse(reader.GetString(2), out var provider) ? provider.Value : throw new InvalidOperationException("Unknown provider in integrations."),
                        reader.GetBoolean(3),
                        SnakeCaseEnumConverter<AccountStatus>.TryParse(reader.GetString(7), out var status) ? status : AccountStatus.Disabled,
                        SigningSecrets(reader),
                        IntegrationSettings.Parse(reader.IsDBNull(6) ? null : reader.GetString(6)));
                    Put(integration, Convert.ToHexString((byte[])reader.GetValue(4)));
                    highest = Math.Max(highest, reader.GetInt64(8));
                    changed++;
                }
            }
            _version = highest;
            if (!_loaded)
            {
                _loaded = true;
                Log.Loaded(logger, changed);
            }
            else if (changed > 0)
            {
                Log.Refreshed(logger, changed);
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private List<SigningSecret> SigningSecrets(NpgsqlDataReader reader)
    {
        if (reader.IsDBNull(5))
        {
            return [];
        }
        var stored = reader.GetFieldValue<string[]>(5);
        var created = reader.GetFieldValue<DateTime[]>(9);
        var expires = reader.GetFieldValue<DateTime?[]>(10);
        var secrets = new List<SigningSecret>(stored.Length);
        for (var i = 0; i < stored.Length; i++)
        {
            secrets.Add(new SigningSecret(Decrypted(reader.GetGuid(0), stored[i]), new DateTimeOffset(created[i], TimeSpan.Zero),
                expires[i] is { } expiresAt ? new DateTimeOffset(expiresAt, TimeSpan.Zero) : null));
        }
        return secrets;
    }

    private string Decrypted(Guid integrationId, string stored)
    {
        if (secrets.TryUnprotect(stored, out var secret) && !string.IsNullOrEmpty(secret))
        {
            return secret;
        }
        Log.SecretUnreadable(logger, integrationId);
        // Never dropped (an integration left without secrets would accept unsigned requests): a random secret no sender knows.
        return Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    }

    private void Put(LiveIntegration integration, string tokenHash)
    {
        // A rotated token's old hash must stop resolving.
        if (_tokenHashById.TryGetValue(integration.Id, out var previous) && previous != tokenHash)
        {
            _byTokenHash.TryRemove(previous, out _);
        }
        _byTokenHash[tokenHash] = integration;
        _tokenHashById[integration.Id] = tokenHash;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.DirectoryRefreshInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Keep answering from what is known; the next poll tries again.
                Log.RefreshFailed(logger, e.GetType().Name, e.Message);
            }
            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _refreshing.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Integration directory loaded with {Count} integrations")]
        public static partial void Loaded(ILogger logger, int count);

        [LoggerMessage(1002, LogLevel.Information, "Integration directory applied {Count} changes")]
        public static partial void Refreshed(ILogger logger, int count);

        [LoggerMessage(1003, LogLevel.Warning, "Integration directory refresh failed ({ExceptionType}: {Reason}); answering from memory")]
        public static partial void RefreshFailed(ILogger logger, string exceptionType, string reason);

        [LoggerMessage(1004, LogLevel.Error, "The signing secret of integration {IntegrationId} cannot be decrypted (Data Protection key missing); signatures made with it are refused until it is set again or removed")]
        public static partial void SecretUnreadable(ILogger logger, Guid integrationId);
    }
}
