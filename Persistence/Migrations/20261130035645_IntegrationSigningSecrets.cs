using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class IntegrationSigningSecrets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "handshake_window_until",
                table: "integrations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "integration_signing_secrets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    integration_id = table.Column<Guid>(type: "uuid", nullable: false),
                    secret = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_integration_signing_secrets", x => x.id);
                    table.ForeignKey(
                        name: "FK_integration_signing_secrets_integrations_integration_id",
                        column: x => x.integration_id,
                        principalTable: "integrations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_integration_signing_secrets_integration_id_created_at",
                table: "integration_signing_secrets",
                columns: new[] { "integration_id", "created_at" });

            // Each integration's one secret moves as it is stored (dp1:… ciphertext, or plaintext from before encryption
            // at rest), created when the integration last changed: the best time known.
            migrationBuilder.Sql("""
                INSERT INTO integration_signing_secrets (id, integration_id, secret, created_at)
                SELECT gen_random_uuid(), id, signing_secret, updated_at FROM integrations
                WHERE signing_secret IS NOT NULL AND signing_secret <> '';
                """);

            migrationBuilder.DropColumn(
                name: "signing_secret",
                table: "integrations");

            // A secret added or removed is a change to its integration for the ingress's directory: touching the
            // integration row lets its own trigger (bump_directory_version) give it the next directory version, so every
            // replica's poll sees it.
            migrationBuilder.Sql("""
                CREATE FUNCTION bump_directory_version_of_secret_owner() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'DELETE' THEN
                        UPDATE integrations SET directory_version = directory_version WHERE id = NEW.integration_id;
                    END IF;
                    IF TG_OP = 'DELETE' THEN
                        UPDATE integrations SET directory_version = directory_version WHERE id = OLD.integration_id;
                    ELSIF TG_OP = 'UPDATE' THEN
                        IF OLD.integration_id <> NEW.integration_id THEN
                            UPDATE integrations SET directory_version = directory_version WHERE id = OLD.integration_id;
                        END IF;
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER trg_integration_signing_secrets_directory_version
                    AFTER INSERT OR UPDATE OR DELETE ON integration_signing_secrets
                    FOR EACH ROW EXECUTE FUNCTION bump_directory_version_of_secret_owner();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS trg_integration_signing_secrets_directory_version ON integration_signing_secrets;
                DROP FUNCTION IF EXISTS bump_directory_version_of_secret_owner();
                """);

            migrationBuilder.AddColumn<string>(
                name: "signing_secret",
                table: "integrations",
                type: "text",
                nullable: true);

            // One secret per integration before: the newest that does not expire.
            migrationBuilder.Sql("""
                UPDATE integrations i SET signing_secret = s.secret
                FROM (SELECT DISTINCT ON (integration_id) integration_id, secret FROM integration_signing_secrets
                      WHERE expires_at IS NULL ORDER BY integration_id, created_at DESC) s
                WHERE s.integration_id = i.id;
                """);

            migrationBuilder.DropTable(
                name: "integration_signing_secrets");

            migrationBuilder.DropColumn(
                name: "handshake_window_until",
                table: "integrations");
        }
    }
}
