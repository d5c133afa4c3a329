using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <summary>
    /// One outbox row per statement that stores deliveries instead of one per delivery: the ingress's group commit stores
    /// tens to hundreds of deliveries with one COPY, and the relay's claim, lock and delete of an outbox row then cost the
    /// same for all of them as for one (measured: the per-delivery outbox rows were 17–20 µs of PostgreSQL CPU per
    /// accepted webhook, a third of it). A put-back (replay, hand-back) still adds a row naming the one delivery. Rows
    /// waiting at the upgrade become rows of one delivery each, in the same order.
    /// </summary>
    public partial class OutboxRowPerCommit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE outbox ADD COLUMN delivery_ids uuid[];
                UPDATE outbox SET delivery_ids = ARRAY[delivery_id];
                ALTER TABLE outbox ALTER COLUMN delivery_ids SET NOT NULL, DROP COLUMN delivery_id;

                CREATE OR REPLACE FUNCTION outbox_add_inserted_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_ids, received_at)
                    SELECT array_agg(id), min(received_at) FROM inserted_deliveries
                    WHERE status = 'accepted' AND published_at IS NULL
                    HAVING count(*) > 0;
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION outbox_add_put_back_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_ids, received_at) VALUES (ARRAY[NEW.id], NEW.received_at);
                    RETURN NULL;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION outbox_add_inserted_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_id, received_at)
                    SELECT id, received_at FROM inserted_deliveries WHERE status = 'accepted' AND published_at IS NULL
                    ORDER BY received_at;
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION outbox_add_put_back_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO outbox (delivery_id, received_at) VALUES (NEW.id, NEW.received_at);
                    RETURN NULL;
                END $$;

                CREATE TEMPORARY TABLE outbox_before_down AS
                    SELECT o.id, u.n, u.delivery_id, o.received_at
                    FROM outbox o CROSS JOIN LATERAL unnest(o.delivery_ids) WITH ORDINALITY AS u(delivery_id, n);
                DELETE FROM outbox;
                ALTER TABLE outbox DROP COLUMN delivery_ids, ADD COLUMN delivery_id uuid NOT NULL;
                INSERT INTO outbox (delivery_id, received_at) SELECT delivery_id, received_at FROM outbox_before_down ORDER BY id, n;
                DROP TABLE outbox_before_down;
                """);
        }
    }
}
