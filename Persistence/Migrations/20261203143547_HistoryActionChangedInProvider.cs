using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class HistoryActionChangedInProvider : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A change an Asana or Smartsheet event names without its value is "changed in <provider>" in a record's
            // history, as the issue words it; entries written before as changed_in_<provider> read the same.
            migrationBuilder.Sql("""
                UPDATE audit_entries SET action = 'changed in ' || substr(action, 12)
                WHERE action LIKE 'changed\_in\_%';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                UPDATE audit_entries SET action = 'changed_in_' || substr(action, 12)
                WHERE action LIKE 'changed in %';
                """);
        }
    }
}
