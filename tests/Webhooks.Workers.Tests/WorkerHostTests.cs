using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Contracts;
using Webhooks.Workers.Commands;
using Webhooks.Workers.DeadLetters;

namespace Webhooks.Workers.Tests;

/// <summary>What an operator sees of the worker process: its verbs, its configuration checks and its health endpoints.</summary>
public sealed class WorkerHostTests
{
    [Test]
    public async Task Health_endpoints_answer_on_the_health_port()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{WorkersSetUp.Worker.HealthPort}") };

        using var live = await http.GetAsync("/health/live");
        using var ready = await http.GetAsync("/health/ready");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task Readiness_fails_while_the_database_is_unreachable()
    {
        await using var worker = await StartWithoutWaitingAsync("--ConnectionStrings:Webhooks=Host=127.0.0.1;Port=1;Database=none;Username=x;Password=y;Timeout=2");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.HealthPort}") };

        using var live = await http.GetAsync("/health/live");
        using var ready = await http.GetAsync("/health/ready");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }

    [TestCase("")]
    [TestCase("/nonexistent/keyring.pem")]
    public void Worker_without_its_key_ring_certificate_does_not_start_and_names_the_setting(string certificatePath)
    {
        var stopped = Assert.Throws<InvalidOperationException>(() => WorkerHost.Build(WorkerApplication.Arguments($"--DataProtection:CertificatePath={certificatePath}")));

        Assert.That(stopped!.Message, Does.Contain("DataProtection:CertificatePath"));
    }

    [Test]
    public async Task Deploy_topology_declares_a_quorum_queue_for_every_provider_and_the_faults_queue()
    {
        var exitCode = await WorkerCommands.RunAsync(["deploy-topology", .. WorkerApplication.Arguments()], TextWriter.Null);

        Assert.That(exitCode, Is.Zero);
        foreach (var queue in ProviderNames.All.Select(QueueNames.For).Append(DeliveryFaultConsumer.QueueName))
        {
            Assert.That(await QueueTypeAsync(queue), Is.EqualTo("quorum"), queue);
        }
    }

    [Test]
    public async Task Migrate_applies_the_migrations_to_an_empty_database()
    {
        var name = $"webhooks_test_migrate_{Guid.NewGuid():N}"[..40];
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { Database = name }.ConnectionString;

            var exitCode = await WorkerCommands.RunAsync(["migrate", $"--ConnectionStrings:Webhooks={connectionString}"], TextWriter.Null);

            Assert.That(exitCode, Is.Zero);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", connection);
            Assert.That(await count.ExecuteScalarAsync(), Is.GreaterThan(0));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    [Test]
    public void Unknown_provider_stops_start_up_naming_the_key()
    {
        var failure = Assert.CatchAsync(() => StartAndStopAsync("--Workers:Providers=jira,jora"));

        Assert.That(failure!.Message, Does.Contain("Workers:Providers").And.Contain("'jora'"));
    }

    [Test]
    public void Out_of_range_concurrency_stops_start_up_naming_the_key()
    {
        var failure = Assert.CatchAsync(() => StartAndStopAsync("--Workers:ConcurrentMessageLimit=0"));

        Assert.That(failure!.Message, Does.Contain("Workers:ConcurrentMessageLimit"));
    }

    [TestCase("ftp://files.example/")]
    [TestCase("https://")]
    [TestCase("http://user@127.0.0.1:")]
    public void Allowed_base_url_that_is_not_an_http_prefix_with_a_host_stops_start_up_naming_the_key(string prefix)
    {
        var failure = Assert.CatchAsync(() => StartAndStopAsync($"--Fetching:AllowedBaseUrls=http://127.0.0.1:,{prefix}"));

        Assert.That(failure!.Message, Does.Contain("Fetching:AllowedBaseUrls").And.Contain($"'{prefix}'"));
    }

    [Test]
    public void Per_integration_fetch_limit_out_of_range_stops_start_up_naming_the_key()
    {
        var failure = Assert.CatchAsync(() => StartAndStopAsync("--Fetching:MaxConcurrentPerIntegration=0"));

        Assert.That(failure!.Message, Does.Contain("Fetching:MaxConcurrentPerIntegration"));
    }

    [TestCase(new[] { "--Workers:Providers=jira, GitHub" }, new[] { Provider.Jira, Provider.GitHub })]
    [TestCase(new[] { "--Workers:Providers:0=trello", "--Workers:Providers:1=asana" }, new[] { Provider.Trello, Provider.Asana })]
    public void Providers_are_read_from_a_comma_separated_value_or_a_list(string[] settings, Provider[] expected)
    {
        var options = OptionsOf(settings.Prepend("--Workers:Providers=").ToArray());

        Assert.That(options.ConsumedProviders(), Is.EqualTo(expected));
    }

    [Test]
    public void Defaults_consume_every_provider_with_the_documented_limits()
    {
        var options = OptionsOf("--Workers:Providers=", "--Workers:HealthPort=8081", "--Workers:RetryLimit=5",
            "--Workers:RetryMinInterval=00:00:00.2", "--Workers:RetryMaxInterval=00:00:10");
        var defaults = new WorkerOptions();

        Assert.That(options.ConsumedProviders(), Is.EqualTo(ProviderNames.All));
        Assert.That((defaults.ConcurrentMessageLimit, defaults.PrefetchCount, defaults.BatchSize, defaults.BatchConcurrency, defaults.RetryLimit, defaults.HealthPort),
            Is.EqualTo((250, 250, 200, 2, 5, 8081)));
        Assert.That((defaults.RetryMinInterval, defaults.RetryMaxInterval), Is.EqualTo((TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10))));
    }

    private static async Task StartAndStopAsync(params string[] overrides)
    {
        await using var app = WorkerHost.Build(WorkerApplication.Arguments(overrides));
        await app.StartAsync();
        await app.StopAsync();
    }

    private static WorkerOptions OptionsOf(params string[] overrides)
    {
        using var app = WorkerHost.Build(WorkerApplication.Arguments(overrides));
        return app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
    }

    private static async Task<WorkerApplication> StartWithoutWaitingAsync(params string[] overrides)
    {
        var worker = await WorkerApplication.StartAsync(waitUntilReady: false, overrides);
        return worker;
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> QueueTypeAsync(string queue)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{TestServices.RabbitHost}:{TestServices.RabbitManagementPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestServices.RabbitUser}:{TestServices.RabbitPassword}")));
        using var response = await http.GetAsync($"queues/{Uri.EscapeDataString(WorkersSetUp.VirtualHost.Name)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("type").GetString();
    }
}
