using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class EnvironmentHealth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "environment_health",
                columns: table => new
                {
                    environment_id = table.Column<string>(type: "character varying(12)", nullable: false),
                    overall = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    repairs = table.Column<int>(type: "integer", nullable: false),
                    last_repair_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    checks = table.Column<string>(type: "jsonb", nullable: false),
                    history = table.Column<string>(type: "jsonb", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_environment_health", x => x.environment_id);
                    table.ForeignKey(
                        name: "fk_environment_health_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "environment_health");
        }
    }
}
