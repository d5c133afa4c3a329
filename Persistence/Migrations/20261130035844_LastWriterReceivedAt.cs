using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class LastWriterReceivedAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "description_received_at",
                table: "records",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "name_received_at",
                table: "records",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "status_received_at",
                table: "records",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "source_received_at",
                table: "comments",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "description_received_at",
                table: "records");

            migrationBuilder.DropColumn(
                name: "name_received_at",
                table: "records");

            migrationBuilder.DropColumn(
                name: "status_received_at",
                table: "records");

            migrationBuilder.DropColumn(
                name: "source_received_at",
                table: "comments");
        }
    }
}
