using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OutboxTable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "outbox",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    delivery_id = table.Column<Guid>(type: "uuid", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbox", x => x.id);
                });

            // Every way a delivery becomes accepted and unpublished adds an outbox row, whoever writes it: the ingress's
            // COPY (one statement-level trigger per COPY, reading the inserted rows from its transition table), a held
            // delivery stored by a worker, a replay or a hand-back (a row trigger, fired only when the update names status
            // or published_at and leaves the delivery waiting; the relay's mark and a worker's outcome never call it).
            // A put-back always adds a row, even while one of the delivery still waits: the relay may be about to delete
            // that one for a send the worker has already handed back. The triggers are created before the backfill, in
            // the same transaction, so no delivery written meanwhile is missed.
            migrationBuilder.Sql("""
                CREATE FUNCTION outbox_add_inserted_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_id, received_at)
                    SELECT id, received_at FROM inserted_deliveries WHERE status = 'accepted' AND published_at IS NULL
                    ORDER BY received_at;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER trg_deliveries_outbox_insert AFTER INSERT ON deliveries
                    REFERENCING NEW TABLE AS inserted_deliveries
                    FOR EACH STATEMENT EXECUTE FUNCTION outbox_add_inserted_deliveries();

                CREATE FUNCTION outbox_add_put_back_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_id, received_at) VALUES (NEW.id, NEW.received_at);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER trg_deliveries_outbox_put_back AFTER UPDATE OF status, published_at ON deliveries
                    FOR EACH ROW WHEN (NEW.status = 'accepted' AND NEW.published_at IS NULL)
                    EXECUTE FUNCTION outbox_add_put_back_delivery();

                INSERT INTO outbox (delivery_id, received_at)
                SELECT id, received_at FROM deliveries WHERE status = 'accepted' AND published_at IS NULL
                ORDER BY received_at;
                """);

            migrationBuilder.DropIndex(
                name: "ix_deliveries_unpublished",
                table: "deliveries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS trg_deliveries_outbox_insert ON deliveries;
                DROP TRIGGER IF EXISTS trg_deliveries_outbox_put_back ON deliveries;
                DROP FUNCTION IF EXISTS outbox_add_inserted_deliveries();
                DROP FUNCTION IF EXISTS outbox_add_put_back_delivery();
                """);

            migrationBuilder.DropTable(
                name: "outbox");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_unpublished",
                table: "deliveries",
                column: "received_at",
                filter: "published_at IS NULL AND status = 'accepted'");
        }
    }
}
