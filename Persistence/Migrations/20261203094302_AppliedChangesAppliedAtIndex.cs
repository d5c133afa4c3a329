using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AppliedChangesAppliedAtIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A concurrent build that was interrupted leaves an invalid index of that name: start again without it.
            migrationBuilder.Sql("DROP INDEX CONCURRENTLY IF EXISTS \"IX_applied_changes_applied_at\";", suppressTransaction: true);
            migrationBuilder.CreateIndex(
                name: "IX_applied_changes_applied_at",
                table: "applied_changes",
                column: "applied_at")
                .Annotation("Npgsql:CreatedConcurrently", true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_applied_changes_applied_at",
                table: "applied_changes");
        }
    }
}
