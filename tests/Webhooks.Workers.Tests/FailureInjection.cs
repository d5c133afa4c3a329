using Microsoft.EntityFrameworkCore;
using Webhooks.Persistence.Model;

namespace Webhooks.Workers.Tests;

/// <summary>
/// Test-only faults, made in the test database itself so the worker has no seam for them: a trigger on the
/// applied-changes ledger raises a serialization failure (SQLSTATE 40001, a real NpgsqlException) or sleeps, for a
/// chosen delivery, while the delivery's attempt count is within a limit; or for every delivery of a chosen integration
/// (so a delivery the sender posts fails before anyone knows its id) until the fault is removed.
/// </summary>
public static class FailureInjection
{
    public static async Task InstallAsync(string connectionString)
    {
        await using var db = new Persistence.WebhooksDbContext(new DbContextOptionsBuilder<Persistence.WebhooksDbContext>().UseNpgsql(connectionString).Options);
        await db.Database.ExecuteSqlRawAsync("""
            CREATE TABLE IF NOT EXISTS test_injected_faults (
              delivery_id uuid PRIMARY KEY,
              failing_attempts int NOT NULL DEFAULT 0,
              sleep_seconds double precision NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS test_failing_integrations (integration_id uuid PRIMARY KEY);
            -- SECURITY DEFINER: the worker's role (grants.sql) may not read these test tables, and must not need to.
            CREATE OR REPLACE FUNCTION test_inject_fault() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            DECLARE
              fault record;
            BEGIN
              SELECT f.failing_attempts, f.sleep_seconds, d.attempts INTO fault
                FROM test_injected_faults f JOIN deliveries d ON d.id = f.delivery_id
               WHERE f.delivery_id = NEW.delivery_id;
              IF FOUND THEN
                PERFORM pg_sleep(fault.sleep_seconds);
                IF fault.attempts <= fault.failing_attempts THEN
                  RAISE EXCEPTION 'injected transient failure' USING ERRCODE = '40001';
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
    public static async Task FailAttemptsAsync(Delivery delivery, int attempts)
    {
        await using var db = WorkerScenario.NewContext();
        await db.Database.ExecuteSqlAsync($"INSERT INTO test_injected_faults (delivery_id, failing_attempts) VALUES ({delivery.Id}, {attempts})");
    }

    /// <summary>Every attempt of every delivery of the integration fails with a transient database error, until <see cref="HealIntegrationAsync"/>.</summary>
    public static async Task FailIntegrationAsync(Guid integrationId)
    {
        await using var db = WorkerScenario.NewContext();
        await db.Database.ExecuteSqlAsync($"INSERT INTO test_failing_integrations (integration_id) VALUES ({integrationId}) ON CONFLICT DO NOTHING");
    }

    public static async Task HealIntegrationAsync(Guid integrationId)
    {
        await using var db = WorkerScenario.NewContext();
        await db.Database.ExecuteSqlAsync($"DELETE FROM test_failing_integrations WHERE integration_id = {integrationId}");
    }

    /// <summary>Every attempt of the delivery spends <paramref name="delay"/> inside its transaction.</summary>
    public static async Task SlowDownAsync(Delivery delivery, TimeSpan delay)
    {
        await using var db = WorkerScenario.NewContext();
        await db.Database.ExecuteSqlAsync($"INSERT INTO test_injected_faults (delivery_id, sleep_seconds) VALUES ({delivery.Id}, {delay.TotalSeconds})");
    }
}
