using System.Net.Http.Headers;
using System.Text;

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
            using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
            (await management.PutAsync($"permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(TestServices.RabbitUser)}", permissions)).EnsureSuccessStatusCode();
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
