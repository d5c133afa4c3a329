using Npgsql;
using NpgsqlTypes;

namespace Webhooks.Bench;

/// <summary>One row as the ingress stores an accepted Jira webhook.</summary>
public sealed record ScratchRow(Guid Id, Guid IntegrationId, DateTimeOffset ReceivedAt, byte[] Body, string SourceDeliveryId);

/// <summary>
/// <c>bench_scratch</c>: a copy of <c>deliveries</c> with its columns, indexes and storage parameters, so a ceiling pays
/// what the ingress's rows cost to write, and the rows it writes leave the real table (and the relay) alone.
/// </summary>
public static class ScratchTable
{
    // What the ingress keeps of a Jira webhook's headers (User-Agent and the event headers; never a signature).
    private const string Headers = """{"User-Agent":"Atlassian Webhook HTTP Client","X-Atlassian-Webhook-Flow":"Primary"}""";

    public static async Task CreateAsync(NpgsqlDataSource dataSource)
    {
        // LIKE … INCLUDING ALL copies no storage parameters: without deliveries' fillfactor the scratch table packed its
        // rows into ~40 % fewer pages than the ingress writes them into.
        await using var command = dataSource.CreateCommand("""
            DROP TABLE IF EXISTS bench_scratch;
            CREATE TABLE bench_scratch (LIKE deliveries INCLUDING ALL);
            DO $$
            DECLARE parameters text := (SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = 'deliveries'::regclass);
            BEGIN
                IF parameters IS NOT NULL THEN
                    EXECUTE format('ALTER TABLE bench_scratch SET (%s)', parameters);
                END IF;
            END $$;
            """);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task DropAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("DROP TABLE IF EXISTS bench_scratch");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One binary COPY of the rows, committed when it completes (the same statement as the ingress's DeliveryWriter).</summary>
    public static async Task CopyAsync(NpgsqlDataSource dataSource, IReadOnlyList<ScratchRow> rows)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var importer = await connection.BeginBinaryImportAsync("""
            COPY bench_scratch (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id,
                               signature_verified, status, attempts, last_error, applied, duplicates, no_target)
            FROM STDIN (FORMAT BINARY)
            """);
        foreach (var row in rows)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
            await importer.WriteAsync(row.IntegrationId, NpgsqlDbType.Uuid);
            await importer.WriteAsync("jira", NpgsqlDbType.Text);
            await importer.WriteAsync(row.ReceivedAt, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(Headers, NpgsqlDbType.Jsonb);
            await importer.WriteAsync("application/json", NpgsqlDbType.Text);
            await importer.WriteAsync(row.Body, NpgsqlDbType.Bytea);
            await importer.WriteAsync(row.SourceDeliveryId, NpgsqlDbType.Text);
            await importer.WriteAsync(false, NpgsqlDbType.Boolean);
            await importer.WriteAsync("accepted", NpgsqlDbType.Text);
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
            await importer.WriteNullAsync();
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
            await importer.WriteAsync(0, NpgsqlDbType.Integer);
        }
        await importer.CompleteAsync();
    }
}
