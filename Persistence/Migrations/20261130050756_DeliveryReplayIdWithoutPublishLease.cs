using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DeliveryReplayIdWithoutPublishLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "publish_lease_until",
                table: "deliveries");

            migrationBuilder.AddColumn<Guid>(
                name: "replay_id",
                table: "deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_replay_id",
                table: "deliveries",
                column: "replay_id",
                filter: "replay_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_deliveries_replay_id",
                table: "deliveries");

            migrationBuilder.DropColumn(
                name: "replay_id",
                table: "deliveries");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "publish_lease_until",
                table: "deliveries",
                type: "timestamp with time zone",
                nullable: true);
        }
    }
}
