using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Webhooks.Testing;

/// <summary>A RabbitMQ vhost of its own for one test run, so queues never leak between runs. Deleted at the end.</summary>
public sealed class TestVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _management;

    private TestVirtualHost(string name, HttpClient management)
    {
        Name = name;
        _management = management;
    }

    public string Name { get; }

    public static async Task<TestVirtualHost> CreateAsync(string purpose)
    {
        var name = $"webhooks-test-{purpose}-{Guid.NewGuid():N}";
        var management = new HttpClient { BaseAddress = new Uri($"http://{TestServices.RabbitHost}:{TestServices.RabbitManagementPort}/api/") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestServices.RabbitUser}:{TestServices.RabbitPassword}")));
        try
        {
            (await management.PutAsync($"vhosts/{Uri.EscapeDataString(name)}", null)).EnsureSuccessStatusCode();
            await GrantAsync(management, name, TestServices.RabbitUser, new BrokerPermission(".*", ".*", ".*"));
            // The programs' users get what deploy/services/start.sh grants them on the real vhost, no more.
            await GrantAsync(management, name, TestServices.IngressBrokerUser.Name, BrokerPermissions.Ingress);
            await GrantAsync(management, name, TestServices.WorkerBrokerUser.Name, BrokerPermissions.Worker);
            await GrantAsync(management, name, TestServices.OperatorBrokerUser.Name, BrokerPermissions.Operator);
            // As start.sh: the console's monitoring user may see the vhost through the management API and do nothing in it.
            await GrantAsync(management, name, TestServices.MonitoringBrokerUser.Name, new BrokerPermission("^$", "^$", "^$"));
        }
        catch (HttpRequestException e)
        {
            management.Dispose();
            throw new InvalidOperationException(
                $"Could not create a RabbitMQ vhost through the management API on port {TestServices.RabbitManagementPort}: {e.Message}. " +
                "Start the services with deploy/test.sh (it enables the management plugin).", e);
        }
        return new TestVirtualHost(name, management);
    }

    private static async Task GrantAsync(HttpClient management, string vhost, string user, BrokerPermission permission)
    {
        using var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { configure = permission.Configure, write = permission.Write, read = permission.Read }),
            Encoding.UTF8, "application/json");
        using var response = await management.PutAsync($"permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", body);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"granting {user} on vhost {vhost} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}; " +
                "deploy/services/start.sh makes the programs' users");
        }
    }

    /// <summary>Messages ready in a queue of this vhost, as the broker reports them.</summary>
    public async Task<int> CountMessagesAsync(string queue)
    {
        using var response = await _management.GetAsync($"queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return 0;
        }
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == System.Text.Json.JsonValueKind.Number
            ? messages.GetInt32()
            : 0;
    }

    /// <summary>
    /// The broker refuses every connection to this vhost and drops the open ones: for the programs under test the
    /// broker is down, while tests in other vhosts go on. <see cref="UnblockConnectionsAsync"/> brings it back.
    /// </summary>
    /// <param name="connections">How many programs' connections must have been closed (one each).</param>
    public async Task BlockConnectionsAsync(int connections = 1)
    {
        using var limit = new StringContent("""{"value":0}""", Encoding.UTF8, "application/json");
        (await _management.PutAsync($"vhost-limits/{Uri.EscapeDataString(Name)}/max-connections", limit)).EnsureSuccessStatusCode();
        // The management API lists connections from its statistics, which lag by seconds: wait until the programs'
        // connections show up, close them, and check they are gone.
        var closed = new HashSet<string>();
        await Eventually.GetAsync($"{connections} connections to vhost {Name} to show up and be closed", async () =>
        {
            var open = await CloseConnectionsAsync();
            closed.UnionWith(open);
            return (Closed: closed.Count, StillOpen: open.Count);
        }, seen => seen.Closed >= connections && seen.StillOpen == 0, TimeSpan.FromSeconds(30));
    }

    /// <summary>Closes every connection the management API lists for this vhost; their names.</summary>
    public async Task<List<string>> CloseConnectionsAsync()
    {
        var names = await ConnectionNamesAsync();
        foreach (var name in names)
        {
            using var _ = await _management.DeleteAsync($"connections/{Uri.EscapeDataString(name)}");
        }
        return names;
    }

    private async Task<List<string>> ConnectionNamesAsync()
    {
        using var connections = await _management.GetAsync($"vhosts/{Uri.EscapeDataString(Name)}/connections");
        connections.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await connections.Content.ReadAsStringAsync());
        return json.RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
    }

    public async Task UnblockConnectionsAsync()
    {
        (await _management.DeleteAsync($"vhost-limits/{Uri.EscapeDataString(Name)}/max-connections")).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Lets the broker back in so that one relay pass claims every outbox row of <paramref name="deliveries"/>. A pass that
    /// began while they were being stored may still be waiting on its send when the connection returns, and would then
    /// send its share alone; the relay skips locked outbox rows, so this holds their locks (waiting for any such pass to
    /// give up) until the broker is back.
    /// </summary>
    public async Task UnblockForOnePassAsync(string databaseConnectionString, IReadOnlyCollection<Guid> deliveries)
    {
        await using var connection = new NpgsqlConnection(databaseConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRows = new NpgsqlCommand("SELECT id FROM outbox WHERE delivery_ids && $1 FOR UPDATE", connection, transaction))
        {
            lockRows.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. deliveries] });
            await lockRows.ExecuteNonQueryAsync();
        }
        await UnblockConnectionsAsync();
        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _management.DeleteAsync($"vhosts/{Uri.EscapeDataString(Name)}");
        }
        finally
        {
            _management.Dispose();
        }
    }
}
