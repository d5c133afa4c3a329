using System.Diagnostics;
using Npgsql;
using Webhooks.Persistence;

namespace Webhooks.Reliability.Tests;

/// <summary>
/// The dedicated PostgreSQL cluster and RabbitMQ node of deploy/services/fault-instances.sh, which these tests stop
/// and start. The shared services (other test projects use them at the same time) are never touched.
/// </summary>
public static class FaultInstances
{
    public const string Host = "127.0.0.1";
    public const string User = "webhooks";
    public const string Password = "webhooks";

    /// <summary>The ingress's PostgreSQL role and RabbitMQ user (password = name), as on the shared services.</summary>
    public const string IngressUser = "webhooks_ingress";

    /// <summary>The workers' PostgreSQL role and RabbitMQ user (password = name).</summary>
    public const string WorkerUser = "webhooks_worker";

    public static int PostgresPort { get; } = int.Parse(Environment.GetEnvironmentVariable("WEBHOOKS_FAULTS_PG_PORT") ?? "5442", System.Globalization.CultureInfo.InvariantCulture);
    public static int RabbitPort { get; } = int.Parse(Environment.GetEnvironmentVariable("WEBHOOKS_FAULTS_RABBITMQ_PORT") ?? "5682", System.Globalization.CultureInfo.InvariantCulture);

    public static string ConnectionString(string database) =>
        $"Host={Host};Port={PostgresPort};Database={database};Username={User};Password={Password};Timeout=3;Command Timeout=15";

    /// <summary>The same database as a program's own role, <see cref="IngressUser"/> or <see cref="WorkerUser"/>.</summary>
    public static string ConnectionStringAs(string connectionString, string role) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = role }.ConnectionString;

    public static Task StartAsync() => RunAsync("start");
    public static Task StopPostgresAsync() => RunAsync("stop-postgres");

    /// <summary>Both stopped, the RabbitMQ node entirely (stop-rabbitmq stops only its application).</summary>
    public static Task ShutdownAsync() => RunAsync("shutdown");
    public static async Task StartPostgresAsync()
    {
        await RunAsync("start-postgres");
        // The test's own pooled connections died with the server.
        NpgsqlConnection.ClearAllPools();
    }
    public static Task StopRabbitMqAsync() => RunAsync("stop-rabbitmq");
    public static Task StartRabbitMqAsync() => RunAsync("start-rabbitmq");

    /// <summary>A migrated database of its own on the dedicated cluster.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"faults_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = ConnectionString(name);
        await PersistenceExtensions.MigrateAsync(connectionString);
        return connectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var admin = new NpgsqlConnection(ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public static Task AddVirtualHostAsync(string name) => RunAsync("add-vhost", name);
    public static Task DeleteVirtualHostAsync(string name) => RunAsync("delete-vhost", name);

    private static async Task RunAsync(params string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot(), "deploy", "services", "fault-instances.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        TestContext.Progress.WriteLine($"fault-instances.sh {string.Join(' ', arguments)}: {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"deploy/services/fault-instances.sh {string.Join(' ', arguments)} failed ({process.ExitCode}); it needs root: {await output}{await error}");
        }
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Webhooks.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Webhooks.sln not found above " + AppContext.BaseDirectory);
    }
}
