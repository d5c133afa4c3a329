using Npgsql;
using RabbitMQ.Client;

namespace Webhooks.Testing;

/// <summary>
/// Where the real PostgreSQL and RabbitMQ are. Read from the same environment variables the programs use
/// (deploy/services/env.sh sets them), with loopback defaults. A missing service fails the run loudly.
/// </summary>
public static class TestServices
{
    /// <summary>
    /// The fallback carries the options deploy/services/env.sh appends (WEBHOOKS_PG_OPTIONS), so the tests exercise
    /// the programs' connection settings (no TLS on loopback, auto-prepared statements) with or without env.sh.
    /// </summary>
    public static string PostgresConnectionString { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Webhooks")
        ?? "Host=127.0.0.1;Port=5432;Database=webhooks;Username=webhooks;Password=webhooks;SSL Mode=Disable;Max Auto Prepare=64;Auto Prepare Min Usages=2";

    public static string RabbitHost { get; } = Env("RabbitMqTransport__Host", "127.0.0.1");
    public static ushort RabbitPort { get; } = ushort.Parse(Env("RabbitMqTransport__Port", "5672"));
    public static ushort RabbitManagementPort { get; } = ushort.Parse(Env("RabbitMqTransport__ManagementPort", "15672"));
    /// <summary>The broker's administrator: makes the run's vhost and inspects it. The programs under test never use it.</summary>
    public static string RabbitUser { get; } = Env("RabbitMqTransport__User", "webhooks");
    public static string RabbitPassword { get; } = Env("RabbitMqTransport__Pass", "webhooks");

    /// <summary>The ingress's own broker user (deploy/services/start.sh makes it; rabbitmq-permissions.txt says what it may do).</summary>
    public static BrokerUser IngressBrokerUser { get; } = new(Env("WEBHOOKS_RABBITMQ_INGRESS_USER", "webhooks_ingress"), Env("WEBHOOKS_RABBITMQ_INGRESS_PASSWORD", "webhooks_ingress"));

    /// <summary>The workers' own broker user.</summary>
    public static BrokerUser WorkerBrokerUser { get; } = new(Env("WEBHOOKS_RABBITMQ_WORKER_USER", "webhooks_worker"), Env("WEBHOOKS_RABBITMQ_WORKER_PASSWORD", "webhooks_worker"));

    /// <summary>The admin API's dead-letter user (the ingress's <c>DeadLetters:User</c>): may read the providers' error queues only.</summary>
    public static BrokerUser OperatorBrokerUser { get; } = new(Env("WEBHOOKS_RABBITMQ_OPERATOR_USER", "webhooks_operator"), Env("WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD", "webhooks_operator"));

    /// <summary>The console's management-API user (the ingress's <c>Console:RabbitMqManagementUser</c>): tagged monitoring, no AMQP rights.</summary>
    public static BrokerUser MonitoringBrokerUser { get; } = new(Env("WEBHOOKS_RABBITMQ_MONITORING_USER", "webhooks_monitoring"), Env("WEBHOOKS_RABBITMQ_MONITORING_PASSWORD", "webhooks_monitoring"));

    /// <summary>The ingress's PostgreSQL role (Persistence/Sql/roles.sql; its privileges are grants.sql).</summary>
    public const string IngressRole = "webhooks_ingress";

    /// <summary>The workers' PostgreSQL role.</summary>
    public const string WorkerRole = "webhooks_worker";

    /// <summary>A connection string like <paramref name="connectionString"/>, as the ingress's or the workers' role.</summary>
    public static string ConnectionAs(string connectionString, string role) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Username = role,
            Password = role == IngressRole ? Env("WEBHOOKS_PG_INGRESS_PASSWORD", IngressRole) : Env("WEBHOOKS_PG_WORKER_PASSWORD", WorkerRole),
        }.ConnectionString;

    private const string HowToStart = "Start them with deploy/test.sh (or deploy/services/start.sh as root).";

    public static async Task EnsureReachableAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(PostgresConnectionString);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await connection.OpenAsync(timeout.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"PostgreSQL is not reachable ({Describe(PostgresConnectionString)}): {e.Message}. {HowToStart}", e);
        }

        try
        {
            var factory = new ConnectionFactory
            {
                HostName = RabbitHost, Port = RabbitPort, UserName = RabbitUser, Password = RabbitPassword,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            };
            await using var connection = await factory.CreateConnectionAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"RabbitMQ is not reachable at {RabbitHost}:{RabbitPort} as {RabbitUser}: {e.Message}. {HowToStart}", e);
        }
    }

    private static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
