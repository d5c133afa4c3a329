using Npgsql;
using Webhooks.Testing;

namespace Webhooks.Persistence.Tests;

/// <summary>
/// deploy/services/start.sh installs deploy/services/postgresql.conf into the server the tests and the benchmark run on;
/// these are the settings the numbers in docs/benchmarks.md were measured with.
/// </summary>
public sealed class ServerSettingsTests
{
    [Test]
    public async Task The_server_runs_with_the_projects_settings()
    {
        await TestServices.EnsureReachableAsync();
        var wanted = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "postgresql.conf"))
            .Select(line => line.Split('#')[0].Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
        Assert.That(wanted.Keys, Does.Contain("max_wal_size").And.Contain("backend_flush_after"), "the file was read");

        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        var actual = new List<string>();
        foreach (var name in wanted.Keys)
        {
            await using var show = new NpgsqlCommand("SELECT current_setting($1)", connection) { Parameters = { new() { Value = name } } };
            actual.Add($"{name} = {await show.ExecuteScalarAsync()}");
        }
        Assert.That(actual, Is.EqualTo(wanted.Select(setting => $"{setting.Key} = {setting.Value}")),
            "run deploy/services/start.sh as root: it installs deploy/services/postgresql.conf");
    }
}
