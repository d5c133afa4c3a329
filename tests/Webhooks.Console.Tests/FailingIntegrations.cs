using Npgsql;

namespace Webhooks.Console.Tests;

/// <summary>
/// Test-only fault, made in the run's database itself so the worker has no seam for it (as the Workers tests'
/// FailureInjection does): while an integration is listed, every insert into the applied-changes ledger for one of its
/// deliveries raises a serialization failure (SQLSTATE 40001, a real transient NpgsqlException). A delivery the sender
/// posts meanwhile is retried to the limit and dead-lettered, the way it happens when the database misbehaves.
/// </summary>
public static class FailingIntegrations
{
    public static async Task InstallAsync(string ownerConnectionString)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS test_failing_integrations (integration_id uuid PRIMARY KEY);
            -- SECURITY DEFINER: the worker's role (grants.sql) may not read the test table, and must not need to.
            CREATE OR REPLACE FUNCTION test_fail_integration() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            BEGIN
              IF EXISTS (SELECT FROM test_failing_integrations i JOIN deliveries d ON d.integration_id = i.integration_id
                          WHERE d.id = NEW.delivery_id) THEN
                RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
              END IF;
              RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS test_fail_integration ON applied_changes;
            CREATE TRIGGER test_fail_integration BEFORE INSERT ON applied_changes FOR EACH ROW EXECUTE FUNCTION test_fail_integration();
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every attempt of every delivery of the integration fails with a transient database error, until <see cref="HealAsync"/>.</summary>
    public static Task FailAsync(Guid integrationId) =>
        ExecuteAsync("INSERT INTO test_failing_integrations (integration_id) VALUES ($1) ON CONFLICT DO NOTHING", integrationId);

    public static Task HealAsync(Guid integrationId) =>
        ExecuteAsync("DELETE FROM test_failing_integrations WHERE integration_id = $1", integrationId);

    private static async Task ExecuteAsync(string sql, Guid integrationId)
    {
        await using var connection = new NpgsqlConnection(ConsoleSetUp.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = integrationId } } };
        await command.ExecuteNonQueryAsync();
    }
}
