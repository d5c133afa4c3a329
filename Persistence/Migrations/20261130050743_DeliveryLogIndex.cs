using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DeliveryLogIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_deliveries_received_at_id",
                table: "deliveries",
                columns: new[] { "received_at", "id" },
                descending: new bool[0]);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_deliveries_received_at_id",
                table: "deliveries");
        }
    }
}
