using Npgsql;

namespace Webhooks.Testing;

/// <summary>
/// Test-only faults, made in the run's database itself so the worker has no seam for them: a trigger on the
/// applied-changes ledger raises a serialization failure (SQLSTATE 40001, a real transient NpgsqlException), another
/// chosen error (<see cref="FailWithAsync"/>) or sleeps,
/// for a chosen delivery while its count of earlier attempts is under a limit (an attempt is counted with its outcome, or
/// after it failed), or for every delivery of a chosen integration (so a delivery the sender posts fails before anyone
/// knows its id) until the integration is healed. One test database per test process, so <see cref="InstallAsync"/>
/// remembers it.
/// </summary>
public static class FailureInjection
{
    private static string? _connectionString;

    public static async Task InstallAsync(string ownerConnectionString)
    {
        _connectionString = ownerConnectionString;
        await ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS test_injected_faults (
              delivery_id uuid PRIMARY KEY,
              failing_attempts int NOT NULL DEFAULT 0,
              sql_state text NOT NULL DEFAULT '40001',
              sleep_seconds double precision NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS test_failing_integrations (integration_id uuid PRIMARY KEY);
            -- SECURITY DEFINER: the worker's role (grants.sql) may not read these test tables, and must not need to.
            CREATE OR REPLACE FUNCTION test_inject_fault() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            DECLARE
              fault record;
            BEGIN
              SELECT f.failing_attempts, f.sql_state, f.sleep_seconds, d.attempts INTO fault
                FROM test_injected_faults f JOIN deliveries d ON d.id = f.delivery_id
               WHERE f.delivery_id = NEW.delivery_id;
              IF FOUND THEN
                -- Until the transaction ends, so a test can see that an attempt is under way (WaitUntilAttemptingAsync).
                PERFORM set_config('application_name', 'attempting ' || NEW.delivery_id, true);
                PERFORM pg_sleep(fault.sleep_seconds);
                IF fault.attempts < fault.failing_attempts AND fault.sql_state = '40001' THEN
                  RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
                ELSIF fault.attempts < fault.failing_attempts THEN
                  RAISE EXCEPTION 'injected failure %', fault.sql_state USING ERRCODE = fault.sql_state;
                END IF;
              ELSIF EXISTS (SELECT FROM test_failing_integrations i JOIN deliveries d ON d.integration_id = i.integration_id
                             WHERE d.id = NEW.delivery_id) THEN
                RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
              END IF;
              RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS test_inject_fault ON applied_changes;
            CREATE TRIGGER test_inject_fault BEFORE INSERT ON applied_changes FOR EACH ROW EXECUTE FUNCTION test_inject_fault();
            """);
    }

    /// <summary>The delivery's first <paramref name="attempts"/> attempts fail with a transient database error.</summary>
    public static Task FailAttemptsAsync(Guid deliveryId, int attempts) =>
        ExecuteAsync("INSERT INTO test_injected_faults (delivery_id, failing_attempts) VALUES ($1, $2)", deliveryId, attempts);

    /// <summary>
    /// Every attempt of the delivery fails with the PostgreSQL error <paramref name="sqlState"/> (e.g. 22001, a value too
    /// long for its column), until <see cref="HealAsync"/>.
    /// </summary>
    public static Task FailWithAsync(Guid deliveryId, string sqlState) =>
        ExecuteAsync("INSERT INTO test_injected_faults (delivery_id, failing_attempts, sql_state) VALUES ($1, $2, $3)", deliveryId, int.MaxValue, sqlState);

    /// <summary>The delivery's attempts no longer fail.</summary>
    public static Task HealAsync(Guid deliveryId) =>
        ExecuteAsync("DELETE FROM test_injected_faults WHERE delivery_id = $1", deliveryId);

    /// <summary>Every attempt of the delivery spends <paramref name="delay"/> inside its transaction.</summary>
    public static Task SlowDownAsync(Guid deliveryId, TimeSpan delay) =>
        ExecuteAsync("INSERT INTO test_injected_faults (delivery_id, sleep_seconds) VALUES ($1, $2)", deliveryId, delay.TotalSeconds);

    /// <summary>
    /// Waits until an attempt of a delivery slowed down by <see cref="SlowDownAsync"/> is inside its transaction (a worker's
    /// session then names it; the delivery itself shows nothing until the attempt ends).
    /// </summary>
    public static Task WaitUntilAttemptingAsync(Guid deliveryId) =>
        Eventually.HoldsAsync($"a worker to be inside an attempt of delivery {deliveryId}", async () => (bool)(await ExecuteAsync(
            "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1)",
            $"attempting {deliveryId}"))!);

    /// <summary>Every attempt of every delivery of the integration fails with a transient database error, until <see cref="HealIntegrationAsync"/>.</summary>
    public static Task FailIntegrationAsync(Guid integrationId) =>
        ExecuteAsync("INSERT INTO test_failing_integrations (integration_id) VALUES ($1) ON CONFLICT DO NOTHING", integrationId);

    public static Task HealIntegrationAsync(Guid integrationId) =>
        ExecuteAsync("DELETE FROM test_failing_integrations WHERE integration_id = $1", integrationId);

    private static string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("FailureInjection.InstallAsync was not called for this run's database.");

    /// <summary>Runs the statement as the database's owner; its first value, if it returns any.</summary>
    private static async Task<object?> ExecuteAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return await command.ExecuteScalarAsync();
    }
}
